"""Working-day arithmetic on the official PRC calendar (法定节假日 and 调休 working weekends).

Why a module of its own: complaint (4 working days) and report (10 working days) limits must skip
public holidays and must count the Saturdays/Sundays the State Council declares working days.
Those dates are published once a year (docs/hotline-rules.md, "Call types and their limits"), so
they come from a published schedule or from the law's own rule, never from a list kept in code.

The model ("working time"): every working day contributes 24 hours, every other day none. Adding
N working days to a call at 10:00 on a working day therefore lands at 10:00 on the Nth following
working day; a call on a holiday starts the clock at 00:00 of the next working day. A result that
falls exactly on a midnight is placed at 00:00 of the next *working* day, so a deadline counted in
working days never falls on a holiday.

All computation happens in China Standard Time (UTC+8, no daylight saving). Naive datetimes are
taken to be China time; aware ones are converted. This module never touches the database.

Where each year's days come from, first match wins:

1. the site's schedule (``use_site_schedule``; the file ``holidays.yaml`` an operator fills in from
   the State Council's notice the day it is published, without waiting for a package release);
2. the ``chinesecalendar`` package, for the years it carries;
3. the law alone, for a year nobody has published yet: the statutory holidays of the national
   regulation (``statutory_holidays``), computed with a lunar calendar library, plus a make-up
   day for each one that falls on a weekend. The 调休 working weekends exist only in a published
   schedule, so such a year has none. ``calendar_known`` is False there, and deadlines computed
   on it are provisional (the order, the consoles and the caller say 预计).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import chinese_calendar
import yaml
from lunar_python import Lunar, Solar

CHINA_TZ = timezone(timedelta(hours=8), "CST")
DAY = timedelta(days=1)


def to_china(moment: datetime) -> datetime:
    """The same instant as an aware datetime in China Standard Time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=CHINA_TZ)
    return moment.astimezone(CHINA_TZ)


@dataclass(frozen=True)
class YearSchedule:
    """One year's days off (法定节假日 with the days joined to them) and the weekend days worked
    instead (调休), as the State Council's notice lists them."""

    holidays: frozenset[date]
    workdays: frozenset[date] = frozenset()


class ScheduleError(ValueError):
    """A holiday schedule that cannot be right; the message says which date and why, ``line``
    (1-based, when known) where in the file it is."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def statutory_holidays(year: int) -> dict[date, str]:
    """The days off the national regulation (《全国年节及纪念日放假办法》, as amended in 2024)
    gives every citizen in ``year``, by name: 元旦 1 day, 春节 4 days (除夕 to 正月初三), 清明 1
    day (the solar term), 劳动节 2 days, 端午 1 day, 中秋 1 day, 国庆 3 days. Working days count
    the reply limits of docs/hotline-rules.md ("Call types and their limits"). Lunar dates and
    the solar term come from ``lunar_python``."""
    new_year = _solar_date(Lunar.fromYmd(year, 1, 1).getSolar())
    qingming = _solar_date(Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"])
    days = {date(year, 1, 1): "元旦"}
    for offset in range(-1, 3):  # 除夕 is the day before 正月初一, whatever the month's length
        days[new_year + timedelta(days=offset)] = "春节"
    days[qingming] = "清明节"
    days[date(year, 5, 1)] = days[date(year, 5, 2)] = "劳动节"
    days[_solar_date(Lunar.fromYmd(year, 5, 5).getSolar())] = "端午节"
    days[_solar_date(Lunar.fromYmd(year, 8, 15).getSolar())] = "中秋节"
    for day in (1, 2, 3):
        days[date(year, 10, day)] = "国庆节"
    return days


def _solar_date(solar: Solar) -> date:
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


@lru_cache(maxsize=64)
def statutory_schedule(year: int) -> YearSchedule:
    """A year no one has published, by the law alone: its statutory holidays, and for each one
    on a Saturday or Sunday the next weekday not already off (the regulation's 补假: 适逢周六、
    周日，应当在工作日补假). The real notice may move days around; deadlines on such a year are
    provisional."""
    off = set(statutory_holidays(year))
    for day in sorted(off):
        if day.weekday() >= 5:
            make_up = day + DAY
            while make_up.weekday() >= 5 or make_up in off:
                make_up += DAY
            off.add(make_up)
    return YearSchedule(frozenset(off))


_site: dict[int, YearSchedule] = {}


def use_site_schedule(schedules: Mapping[int, YearSchedule]) -> None:
    """Let the site's published schedules decide their years (the CRM calls this at start and
    after 系统管理 saves the file); every cached answer is forgotten."""
    global _site
    _site = dict(schedules)  # one swap: a computation running meanwhile sees one schedule
    calendar_known.cache_clear()
    is_working_day.cache_clear()


def _dates(value: object, where: str) -> Iterable[date]:
    """A date, or a ``2027-02-05..2027-02-11`` range, from the schedule file."""
    if isinstance(value, date):
        return [value]
    text = str(value)
    try:
        if ".." in text:
            first, last = (date.fromisoformat(part.strip()) for part in text.split("..", 1))
            if last < first:
                raise ValueError
            return [first + timedelta(days=n) for n in range((last - first).days + 1)]
        return [date.fromisoformat(text.strip())]
    except ValueError:
        raise ScheduleError(
            f"{where}：'{text}' 不是日期（应为 2027-01-01 或 2027-02-05..2027-02-11）"
        ) from None


def _line_of(text: str, *needles: object) -> int | None:
    """The first line of ``text`` holding all of ``needles`` (a year, a date): where an operator
    looks for what a refusal names."""
    wanted = [str(n) for n in needles]
    for number, line in enumerate(text.splitlines(), 1):
        if not line.lstrip().startswith("#") and all(n in line for n in wanted):
            return number
    return None


def _year_line(text: str, year: object) -> int | None:
    return _line_of(text, f"{year}:") or _line_of(text, year)


def _is_date(token: str) -> bool:
    try:
        date.fromisoformat(token)
    except ValueError:
        return False
    return True


def _yaml_line(exc: yaml.YAMLError) -> int | None:
    mark = getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark is not None else None


def parse_schedule(text: str) -> dict[int, YearSchedule]:
    """The site's schedule file: for each year, ``holidays`` and ``workdays`` (调休 weekends).

    A year the file names replaces the package and the law for that year entirely, so a year
    entered by halves would turn a statutory holiday into a working day: every statutory day
    off of the regulation must be among its holidays, and a 调休 working day must be a Saturday
    or Sunday (docs/hotline-rules.md, "Call types and their limits": working days follow the
    official calendar)."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ScheduleError(f"不是有效的 YAML：{exc}", _yaml_line(exc)) from None
    except ValueError as exc:  # YAML reads 2027-02-30 as a date and fails on it
        bad = next((t for t in re.findall(r"\d{4}-\d\d-\d\d", text) if not _is_date(t)), None)
        raise ScheduleError(
            f"'{bad}' 不是日期（{exc}）" if bad else f"有一个不是日期的日期：{exc}",
            _line_of(text, bad) if bad else None,
        ) from None
    if not isinstance(data, dict):
        raise ScheduleError("应为「年份: {holidays: [...], workdays: [...]}」", 1)
    schedules = {}
    for year, entry in data.items():
        if not isinstance(year, int) or not 2000 <= year <= 2100:
            raise ScheduleError(f"'{year}' 不是年份", _year_line(text, year))
        if not isinstance(entry, dict) or set(entry) - {"holidays", "workdays"}:
            raise ScheduleError(
                f"{year} 年：只能有 holidays 和 workdays 两项", _year_line(text, year)
            )
        found: dict[str, set[date]] = {}
        for key in ("holidays", "workdays"):
            found[key] = set()
            items = entry.get(key) or []
            if not isinstance(items, list):
                raise ScheduleError(f"{year} 年 {key}：应为日期列表", _line_of(text, key))
            for item in items:
                try:
                    days = _dates(item, f"{year} 年 {key}")
                except ScheduleError as exc:
                    raise ScheduleError(str(exc), _line_of(text, item)) from None
                for day in days:
                    if day.year != year:
                        raise ScheduleError(
                            f"{year} 年 {key}：{day} 不在 {year} 年", _line_of(text, item)
                        )
                    found[key].add(day)
        both = found["holidays"] & found["workdays"]
        if both:
            raise ScheduleError(
                f"{year} 年：{min(both)} 不能既放假又上班",
                _line_of(text, min(both)) or _year_line(text, year),
            )
        for day in sorted(found["workdays"]):
            if day.weekday() < 5:
                raise ScheduleError(
                    f"{year} 年 workdays：{day} 是{_WEEKDAYS[day.weekday()]}，"
                    "调休上班日应为周六或周日",
                    _line_of(text, day) or _year_line(text, year),
                )
        for day, name in sorted(statutory_holidays(year).items()):
            if day not in found["holidays"]:
                raise ScheduleError(
                    f"{year} 年 holidays：缺少法定节假日 {day}（{name}），"
                    "国务院通知的放假安排总包含全部法定节假日",
                    _year_line(text, year),
                )
        schedules[year] = YearSchedule(frozenset(found["holidays"]), frozenset(found["workdays"]))
    return schedules


_WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


def load_schedule_file(path: Path) -> dict[int, YearSchedule]:
    """The site's schedules from ``path``; none when the file does not exist."""
    if not path.exists():
        return {}
    return parse_schedule(path.read_text(encoding="utf-8"))


def _package_knows(day: date) -> bool:
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=4096)
def calendar_known(day: date) -> bool:
    """Whether ``day``'s year has a published schedule (the site's or the package's); where it
    has not, working days follow the law alone and deadlines are provisional."""
    return day.year in _site or _package_knows(day)


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    """True on working days, including 调休 weekends (see the module docstring for sources)."""
    site = _site.get(day.year)
    if site is not None:
        if day in site.workdays:
            return True
        return day.weekday() < 5 and day not in site.holidays
    if _package_knows(day):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5 and day not in statutory_schedule(day.year).holidays


def next_year_unpublished(today: date) -> bool:
    """From 1 November, True while next year has no published schedule: the wallboard warns so
    an operator enters the State Council's notice before deadlines cross into it."""
    return today.month >= 11 and not calendar_known(date(today.year + 1, 1, 1))


def next_working_day(day: date) -> date:
    """The first working day strictly after ``day``."""
    day += DAY
    while not is_working_day(day):
        day += DAY
    return day


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=CHINA_TZ)


def add_working_time(start: datetime, amount: timedelta) -> datetime:
    """``start`` plus ``amount`` of working-day time (see the module docstring for the model)."""
    if amount < timedelta(0):
        raise ValueError("a limit cannot be negative")
    cursor = to_china(start)
    if not is_working_day(cursor.date()):
        cursor = _midnight(next_working_day(cursor.date()))
    remaining = amount
    while True:
        left_today = _midnight(cursor.date() + DAY) - cursor
        if remaining < left_today:
            return cursor + remaining
        remaining -= left_today
        cursor = _midnight(next_working_day(cursor.date()))


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days: same clock time on the Nth following working day."""
    return add_working_time(start, timedelta(days=days))


def working_time_between(start: datetime, end: datetime) -> timedelta:
    """How much working-day time lies between two instants (negative if ``end`` is earlier)."""
    a, b = to_china(start), to_china(end)
    if b < a:
        return -working_time_between(b, a)
    total = timedelta(0)
    cursor = a
    while cursor < b:
        day_end = min(_midnight(cursor.date() + DAY), b)
        if is_working_day(cursor.date()):
            total += day_end - cursor
        cursor = day_end
    return total
