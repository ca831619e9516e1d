"""Working-day arithmetic on the official PRC calendar (法定节假日 and 调休 working weekends).

Why a module of its own: complaint (4 working days) and report (10 working days) limits must skip
public holidays and must count the Saturdays/Sundays the State Council declares working days.
Those dates are published once a year, so they come from the maintained ``chinesecalendar``
package, never from a hand-kept list.

The model ("working time"): every working day contributes 24 hours, every other day none. Adding
N working days to a call at 10:00 on a working day therefore lands at 10:00 on the Nth following
working day; a call on a holiday starts the clock at 00:00 of the next working day. A result that
falls exactly on a midnight is placed at 00:00 of the next *working* day, so a deadline counted in
working days never falls on a holiday.

All computation happens in China Standard Time (UTC+8, no daylight saving). Naive datetimes are
taken to be China time; aware ones are converted. This module never touches the database.

Years the package does not know yet (it is updated each December when the State Council publishes
the next year) fall back to "Monday to Friday"; ``calendar_known`` lets callers mark such deadlines
as provisional instead of failing a citizen's ticket.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

import chinese_calendar

log = logging.getLogger(__name__)

CHINA_TZ = timezone(timedelta(hours=8), "CST")
DAY = timedelta(days=1)


def to_china(moment: datetime) -> datetime:
    """The same instant as an aware datetime in China Standard Time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=CHINA_TZ)
    return moment.astimezone(CHINA_TZ)


@lru_cache(maxsize=4096)
def calendar_known(day: date) -> bool:
    """Whether the official calendar for ``day``'s year is published in the installed package."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    """True on working days, including 调休 weekends; weekday rule for unpublished years."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        log.warning("official calendar for %s not published in chinesecalendar; using Mon-Fri", day)
        return day.weekday() < 5


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
