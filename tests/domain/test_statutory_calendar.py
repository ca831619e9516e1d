"""Working days by law for years not yet published, and the site's own published schedule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.domain.deadlines import compute_deadlines
from crm.domain.workcalendar import (
    CHINA_TZ,
    ScheduleError,
    add_working_days,
    calendar_known,
    is_working_day,
    next_year_unpublished,
    parse_schedule,
    statutory_holidays,
    use_site_schedule,
)
from tests.support.schedules import SITE_2027, WORKED_SATURDAY


@pytest.fixture(autouse=True)
def no_site_schedule() -> Iterator[None]:
    use_site_schedule({})
    yield
    use_site_schedule({})


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2027, 1, 1), "元旦"),
        (date(2027, 2, 5), "春节"),  # 除夕
        (date(2027, 2, 6), "春节"),  # 正月初一
        (date(2027, 2, 8), "春节"),  # 初三
        (date(2027, 4, 5), "清明节"),
        (date(2027, 5, 1), "劳动节"),
        (date(2027, 5, 2), "劳动节"),
        (date(2027, 6, 9), "端午节"),
        (date(2027, 9, 15), "中秋节"),
        (date(2027, 10, 1), "国庆节"),
        (date(2027, 10, 3), "国庆节"),
    ],
)
def test_2027_statutory_holidays_by_law(day: date, name: str) -> None:
    assert statutory_holidays(2027)[day] == name
    assert not calendar_known(day)
    assert not is_working_day(day)


def test_the_law_gives_thirteen_days_and_the_published_years_agree() -> None:
    for year in (2025, 2026):
        holidays = statutory_holidays(year)
        assert len(holidays) == 13
        # The package's published schedules give every statutory day off.
        assert all(calendar_known(day) and not is_working_day(day) for day in holidays), year


def test_a_statutory_day_on_a_weekend_is_made_up_on_the_next_weekday() -> None:
    # 2027: 春节 Fri 5 – Mon 8 Feb, so Sat 6 and Sun 7 are made up on Tue 9 and Wed 10.
    assert not is_working_day(date(2027, 2, 9))
    assert not is_working_day(date(2027, 2, 10))
    assert is_working_day(date(2027, 2, 11))
    # 2027: 劳动节 Sat 1 and Sun 2 May, made up on Mon 3 and Tue 4.
    assert not is_working_day(date(2027, 5, 3)) and not is_working_day(date(2027, 5, 4))
    assert is_working_day(date(2027, 5, 5))


def test_a_complaint_over_new_year_2027_skips_the_holiday_and_is_provisional() -> None:
    called = datetime(2026, 12, 28, 10, 0, tzinfo=CHINA_TZ)  # Monday; 投诉: 4 working days
    deadlines = compute_deadlines("complaint", called)
    # Dec 29, 30, 31, (Jan 1 off), Jan 4 (Jan 2–3 weekend).
    assert deadlines.reply_due == datetime(2027, 1, 4, 10, 0, tzinfo=CHINA_TZ)
    assert deadlines.provisional


def test_the_site_schedule_decides_its_year_and_deadlines_move() -> None:
    called = datetime(2027, 2, 4, 10, 0, tzinfo=CHINA_TZ)  # Thursday before 春节
    by_law = add_working_days(called, 4)
    use_site_schedule(parse_schedule(SITE_2027))
    assert calendar_known(date(2027, 2, 14))
    assert is_working_day(date(2027, 2, 14))  # the notice's Sunday worked
    assert not is_working_day(date(2027, 2, 11))  # off in the notice, a weekday by law
    by_notice = add_working_days(called, 4)
    # By law: Feb 11, 12, 15, 16. By the notice: Feb 14 (Sun), 15, 16, 17.
    assert by_law == datetime(2027, 2, 16, 10, 0, tzinfo=CHINA_TZ)
    assert by_notice == datetime(2027, 2, 17, 10, 0, tzinfo=CHINA_TZ)
    assert not compute_deadlines("complaint", called).provisional


@pytest.mark.parametrize(
    ("day", "site", "working"),
    [
        # Without a site file 2027 is counted by the law: its holidays off, weekends off.
        (date(2027, 1, 1), False, False),  # 元旦
        (date(2027, 2, 6), False, False),  # 春节 正月初一
        (date(2027, 10, 1), False, False),  # 国庆节
        (WORKED_SATURDAY, False, False),
        (date(2027, 2, 11), False, True),
        # With the site's notice: its days decide, the worked Saturday included.
        (date(2027, 1, 1), True, False),
        (date(2027, 2, 6), True, False),
        (date(2027, 10, 1), True, False),
        (WORKED_SATURDAY, True, True),
        (date(2027, 2, 11), True, False),
        (date(2027, 10, 6), True, False),
    ],
)
def test_working_days_of_2027_by_law_and_by_the_site_schedule(
    day: date, site: bool, working: bool
) -> None:
    if site:
        use_site_schedule(parse_schedule(SITE_2027))
    assert is_working_day(day) is working
    assert calendar_known(day) is site


def test_the_worked_saturday_moves_a_complaint_deadline() -> None:
    called = datetime(2027, 2, 19, 10, 0, tzinfo=CHINA_TZ)  # Friday; 投诉: 4 working days
    by_law = compute_deadlines("complaint", called)
    # By law: Mon 22, 23, 24, 25 Feb; provisional.
    assert by_law.reply_due == datetime(2027, 2, 25, 10, 0, tzinfo=CHINA_TZ)
    assert by_law.provisional
    use_site_schedule(parse_schedule(SITE_2027))
    by_notice = compute_deadlines("complaint", called)
    # By the notice: Sat 20 (worked), 22, 23, 24 Feb; firm.
    assert by_notice.reply_due == datetime(2027, 2, 24, 10, 0, tzinfo=CHINA_TZ)
    assert not by_notice.provisional
    use_site_schedule({})  # the schedule withdrawn: provisional again
    assert compute_deadlines("complaint", called) == by_law


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("2027:\n  holidays: [2027-02-30]", "'2027-02-30' 不是日期", 2),
        ("2027:\n  holidays: [2028-01-01]", "不在 2027 年", 2),
        ("2027:\n  holidays: [2027-02-14]\n  workdays: [2027-02-14]", "既放假又上班", 2),
        ("2027:\n  days_off: [2027-02-14]", "只能有 holidays 和 workdays", 1),
        ("abc: 1", "不是年份", 1),
        ("- 2027", "年份", 1),
        ("2027:\n  holidays: [2027-13-01..2027-13-02]", "不是日期", 2),
        ("2027:\n  holidays: [\n", "不是有效的 YAML", 3),
        (
            SITE_2027.replace("2027-02-20,", "2027-02-22,"),
            "2027-02-22 是星期一，调休上班日应为周六或周日",
            11,
        ),
        (
            SITE_2027.replace('    - "2027-10-01..2027-10-07"\n', ""),
            r"缺少法定节假日 2027-10-01（国庆节）",
            2,
        ),
        ("2027:\n  holidays: [2027-01-01]", "缺少法定节假日 2027-02-05（春节）", 1),
    ],
)
def test_a_wrong_schedule_is_refused_with_the_reason_and_line(
    text: str, message: str, line: int | None
) -> None:
    with pytest.raises(ScheduleError, match=message) as refused:
        parse_schedule(text)
    assert refused.value.line == line


def test_the_shipped_file_has_no_year_and_every_published_year_may_be_entered() -> None:
    from crm.orders.schedule import shipped_text

    assert parse_schedule(shipped_text()) == {}
    # The 2026 notice as the package carries it passes the same checks an operator's does.
    days = [date(2026, 1, 1) + (date(2026, 1, 2) - date(2026, 1, 1)) * n for n in range(365)]
    off = [d for d in days if not is_working_day(d)]
    worked = [d for d in days if d.weekday() >= 5 and is_working_day(d)]
    holidays = [d for d in off if d.weekday() < 5 or d in statutory_holidays(2026)]
    text = f"2026:\n  holidays: {[d.isoformat() for d in holidays]}\n"
    text += f"  workdays: {[d.isoformat() for d in worked]}\n"
    assert parse_schedule(text)[2026].workdays == frozenset(worked)


def test_the_wallboard_warns_from_november_while_next_year_is_missing() -> None:
    assert not next_year_unpublished(date(2026, 10, 31))
    assert next_year_unpublished(date(2026, 11, 1))
    use_site_schedule(parse_schedule(SITE_2027))
    assert not next_year_unpublished(date(2026, 12, 1))


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2035, 12, 20)),
    st.sampled_from([1, 2, 4, 10]),
)
def test_a_deadline_never_falls_on_a_statutory_holiday(start: datetime, days: int) -> None:
    due = add_working_days(start.replace(tzinfo=CHINA_TZ), days)
    assert due.date() not in statutory_holidays(due.year)
    assert is_working_day(due.date())
    assert due.time() == start.time() or due.time() == time(0)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(2026, 6, 1), max_value=datetime(2027, 12, 20)),
    st.sampled_from(["complaint", "report"]),
    st.booleans(),
)
def test_a_reply_deadline_never_falls_on_a_day_off_with_or_without_the_notice(
    start: datetime, call_type: str, notice: bool
) -> None:
    use_site_schedule(parse_schedule(SITE_2027) if notice else {})
    deadlines = compute_deadlines(call_type, start.replace(tzinfo=CHINA_TZ))
    due = deadlines.reply_due
    assert due is not None
    assert due.date() not in statutory_holidays(due.year)
    assert is_working_day(due.date())
    # Provisional exactly when the limit was counted into a year by the law alone.
    assert deadlines.provisional is not calendar_known(due.date())
