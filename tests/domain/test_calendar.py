"""Working-day arithmetic across National Day 2026.

Oct 1-7 are off; Sunday Sep 20 and Saturday Oct 10 are worked (调休).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.domain.workcalendar import (
    CHINA_TZ,
    add_working_days,
    add_working_time,
    calendar_known,
    is_working_day,
    next_working_day,
    to_china,
    working_time_between,
)


def cn(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA_TZ)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 9, 20), True),  # Sunday, 调休 working day before National Day
        (date(2026, 9, 30), True),
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Saturday, 调休 working day
        (date(2026, 10, 11), False),  # ordinary Sunday
        (date(2026, 9, 26), False),  # Mid-autumn (Saturday)
    ],
)
def test_official_calendar_2026_knows_adjusted_weekends(day: date, working: bool) -> None:
    assert calendar_known(day)
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Wed before the holiday: Oct 8, 9, 10 (Sat, worked), 12.
        (cn(2026, 9, 30, 10, 0), 4, cn(2026, 10, 12, 10, 0)),
        # 10 working days: Oct 8 9 10 12 13 14 15 16 19 20.
        (cn(2026, 9, 30, 10, 0), 10, cn(2026, 10, 20, 10, 0)),
        # Called during the holiday: the clock starts at 00:00 on Oct 8.
        (cn(2026, 10, 3, 15, 0), 4, cn(2026, 10, 13, 0, 0)),
        # Saturday Sep 19 (off): clock starts Sun Sep 20 (worked); 4 days: 21 22 23 24.
        (cn(2026, 9, 19, 9, 0), 4, cn(2026, 9, 24, 0, 0)),
        # Zero days from a holiday is the start of the next working day.
        (cn(2026, 10, 1, 12, 0), 0, cn(2026, 10, 8, 0, 0)),
    ],
)
def test_add_working_days_across_national_day_2026(
    start: datetime, days: int, expected: datetime
) -> None:
    assert add_working_days(start, days) == expected


def test_naive_datetimes_are_china_time_and_utc_is_converted() -> None:
    assert to_china(datetime(2026, 9, 30, 10)) == cn(2026, 9, 30, 10)
    # 2026-09-30 18:00 UTC is 02:00 on Oct 1 in China: a holiday.

    utc = datetime(2026, 9, 30, 18, tzinfo=UTC)
    assert add_working_days(utc, 1) == cn(2026, 10, 9, 0, 0)


def test_unpublished_year_falls_back_to_weekdays_and_is_flagged() -> None:
    assert not calendar_known(date(2031, 1, 6))
    assert is_working_day(date(2031, 1, 6))  # Monday
    assert not is_working_day(date(2031, 1, 4))  # Saturday
    assert next_working_day(date(2031, 1, 3)) == date(2031, 1, 6)


def test_negative_limit_rejected() -> None:
    with pytest.raises(ValueError):
        add_working_time(cn(2026, 9, 30, 10), timedelta(hours=-1))


starts = st.datetimes(min_value=datetime(2005, 1, 1), max_value=datetime(2026, 12, 31, 23, 59))
spans = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=15))


@settings(max_examples=300, deadline=None)
@given(start=starts, days=st.integers(min_value=0, max_value=15))
def test_property_deadline_never_before_start_never_on_holiday(start: datetime, days: int) -> None:
    due = add_working_days(start, days)
    assert due >= to_china(start)
    assert is_working_day(due.date())


@settings(max_examples=300, deadline=None)
@given(a=starts, b=starts, days=st.integers(min_value=0, max_value=15))
def test_property_later_start_never_earlier_deadline(a: datetime, b: datetime, days: int) -> None:
    early, late = sorted((a, b))
    assert add_working_days(early, days) <= add_working_days(late, days)


@settings(max_examples=200, deadline=None)
@given(start=starts, span=spans)
def test_property_working_time_round_trip(start: datetime, span: timedelta) -> None:
    due = add_working_time(start, span)
    assert working_time_between(start, due) == span
    assert working_time_between(due, start) == -span
