"""Every number of the spec's call-type table, one row per rule.

The clock is frozen on the last working day before National Day 2026.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from callmodel.calltypes import CallType, TicketStatus
from crm.domain.deadlines import (
    ANSWER_WITHIN_RINGS,
    EMERGENCY_NUMBER,
    GENERAL_INFO_NUMBER,
    HOTLINE_NUMBER,
    TYPE_RULES,
    Limit,
    archive_is_due,
    compute_deadlines,
    overdue_stages,
    rule_for,
    time_left,
)
from crm.domain.workcalendar import CHINA_TZ

# Frozen clock: the last working day before National Day 2026, 10:00 China time.
CALLED = datetime(2026, 9, 30, 10, 0, tzinfo=CHINA_TZ)
H = timedelta(hours=1)
C, HE, EM, CO, RE, SU, PR, IN = (
    CallType.CONSULTATION,
    CallType.HELP,
    CallType.EMERGENCY,
    CallType.COMPLAINT,
    CallType.REPORT,
    CallType.SUGGESTION,
    CallType.PRAISE,
    CallType.INVALID,
)


def test_every_call_type_has_exactly_one_rule() -> None:
    assert set(TYPE_RULES) == set(CallType)


@pytest.mark.parametrize(
    ("rule", "call_type", "field", "amount", "working"),
    [
        ("consultation reply 48 h", C, "reply_limit", 48 * H, False),
        ("consultation front desk 4 h", C, "front_desk_limit", 4 * H, False),
        ("consultation unit reply 1 day 20 h = 44 h", C, "unit_feedback_within", 44 * H, False),
        ("help reply 24 h", HE, "reply_limit", 24 * H, False),
        ("help dispatch within 2 h", HE, "dispatch_within", 2 * H, False),
        ("help unit feedback 20 h", HE, "unit_feedback_within", 20 * H, False),
        ("help dispatch note says 22 h", HE, "dispatch_note_feedback", 22 * H, False),
        ("emergency reply immediate", EM, "reply_limit", timedelta(0), False),
        (
            "emergency unit feedback 15 min",
            EM,
            "unit_feedback_within",
            timedelta(minutes=15),
            False,
        ),
        ("complaint reply 4 working days", CO, "reply_limit", timedelta(days=4), True),
        ("complaint dispatch within 2 h", CO, "dispatch_within", 2 * H, False),
        (
            "complaint unit feedback 3 days 22 h",
            CO,
            "unit_feedback_within",
            timedelta(days=3, hours=22),
            True,
        ),
        ("report reply 10 working days", RE, "reply_limit", timedelta(days=10), True),
        ("report dispatch within 4 h", RE, "dispatch_within", 4 * H, False),
        ("suggestion archive after 24 h", SU, "archive_without_reply_after", 24 * H, False),
        ("suggestion insisted reply 48 h", SU, "reply_limit_if_requested", 48 * H, False),
        ("suggestion dispatch within 4 h", SU, "dispatch_within", 4 * H, False),
        ("suggestion longest limit 44 h", SU, "unit_feedback_within", 44 * H, False),
        ("praise archive after 24 h", PR, "archive_without_reply_after", 24 * H, False),
        ("praise insisted reply 24 h", PR, "reply_limit_if_requested", 24 * H, False),
        ("praise dispatch within 4 h", PR, "dispatch_within", 4 * H, False),
        ("praise longest limit 22 h", PR, "unit_feedback_within", 22 * H, False),
    ],
)
def test_type_limits(
    rule: str, call_type: CallType, field: str, amount: timedelta, working: bool
) -> None:
    limit = getattr(rule_for(call_type), field)
    assert limit == Limit(amount, working=working), rule


@pytest.mark.parametrize(
    ("rule", "call_type", "share", "within", "typical", "max_talk"),
    [
        ("consultation 80 % within 1-2 min", C, 0.80, 2, (1, 2), None),
        ("help 1-3 min, 80 % within 3 min", HE, 0.80, 3, (1, 3), None),
        ("emergency 80 % in 1-2 min", EM, 0.80, 2, (1, 2), None),
        ("complaint 80 % in 1-2 min", CO, 0.80, 2, (1, 2), None),
        ("report talk <= 5 min, 80 % within 3 min", RE, 0.80, 3, (1, 3), 5),
        ("suggestion 1-3 min, 80 % within 3 min", SU, 0.80, 3, (1, 3), None),
        ("praise 1-3 min, 80 % within 3 min", PR, 0.80, 3, (1, 3), None),
    ],
)
def test_talk_targets(
    rule: str,
    call_type: CallType,
    share: float,
    within: float,
    typical: tuple[float, float],
    max_talk: float | None,
) -> None:
    talk = rule_for(call_type).talk
    assert talk is not None, rule
    assert (talk.share, talk.within_minutes, talk.typical_minutes, talk.max_talk_minutes) == (
        share,
        within,
        typical,
        max_talk,
    ), rule


def test_consultation_at_least_90_percent_handled() -> None:
    assert rule_for(C).handled_share_min == 0.90


def test_constants_three_rings_110_114() -> None:
    assert ANSWER_WITHIN_RINGS == 3
    assert EMERGENCY_NUMBER == "110" == rule_for(EM).transfer_to
    assert GENERAL_INFO_NUMBER == "114"
    assert HOTLINE_NUMBER == "12345"


def test_invalid_owes_no_reply() -> None:
    d = compute_deadlines(IN, CALLED)
    assert d.items() == {}


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CHINA_TZ)


@pytest.mark.parametrize(
    ("rule", "call_type", "requested", "reply", "dispatch", "feedback", "archive"),
    [
        (
            "consultation 48 h clock time over the holiday",
            C,
            False,
            at(10, 2, 10),
            None,
            at(10, 2, 6),
            None,
        ),
        ("help 24 h / 2 h / 20 h", HE, False, at(10, 1, 10), at(9, 30, 12), at(10, 1, 6), None),
        ("emergency immediate / 15 min", EM, False, CALLED, CALLED, at(9, 30, 10, 15), None),
        # 4 working days: Oct 8, 9, 10 (Saturday, worked), 12; the unit 2 h earlier.
        (
            "complaint 4 working days over National Day",
            CO,
            False,
            at(10, 12, 10),
            at(9, 30, 12),
            at(10, 12, 8),
            None,
        ),
        (
            "report 10 working days over National Day",
            RE,
            False,
            at(10, 20, 10),
            at(9, 30, 14),
            None,
            None,
        ),
        (
            "suggestion no reply asked: archive at 24 h",
            SU,
            False,
            None,
            at(9, 30, 14),
            at(10, 2, 6),
            at(10, 1, 10),
        ),
        (
            "suggestion reply insisted: 48 h, no archive",
            SU,
            True,
            at(10, 2, 10),
            at(9, 30, 14),
            at(10, 2, 6),
            None,
        ),
        (
            "praise no reply asked: archive at 24 h",
            PR,
            False,
            None,
            at(9, 30, 14),
            at(10, 1, 8),
            at(10, 1, 10),
        ),
        ("praise reply insisted: 24 h", PR, True, at(10, 1, 10), at(9, 30, 14), at(10, 1, 8), None),
    ],
)
def test_deadlines_from_the_call_timestamp(
    rule: str,
    call_type: CallType,
    requested: bool,
    reply: datetime | None,
    dispatch: datetime | None,
    feedback: datetime | None,
    archive: datetime | None,
) -> None:
    d = compute_deadlines(call_type, CALLED, reply_requested=requested)
    assert (d.reply_due, d.dispatch_due, d.unit_feedback_due, d.archive_due) == (
        reply,
        dispatch,
        feedback,
        archive,
    ), rule
    assert not d.provisional


def test_deadline_into_unpublished_year_is_provisional() -> None:
    d = compute_deadlines(CO, datetime(2026, 12, 29, 10, tzinfo=CHINA_TZ))
    assert d.provisional
    assert not compute_deadlines(HE, datetime(2026, 12, 31, 10, tzinfo=CHINA_TZ)).provisional


def test_time_left_counts_down_and_goes_negative() -> None:
    d = compute_deadlines(HE, CALLED)
    assert d.reply_due is not None
    assert time_left(d.reply_due, at(9, 30, 22)) == 12 * H
    assert time_left(d.reply_due, at(10, 1, 11)) == -H


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        (TicketStatus.REGISTERED, at(9, 30, 11), []),
        (TicketStatus.REGISTERED, at(9, 30, 12, 1), ["dispatch"]),
        (TicketStatus.DISPATCHED, at(10, 1, 7), ["unit_feedback"]),
        (TicketStatus.DISPATCHED, at(10, 1, 11), ["reply", "unit_feedback"]),
        (TicketStatus.REPLIED, at(10, 1, 11), ["reply"]),
        (TicketStatus.CALLER_ANSWERED, at(10, 5), []),
    ],
)
def test_overdue_stages_of_a_help_request(
    status: TicketStatus, now: datetime, expected: list[str]
) -> None:
    assert sorted(overdue_stages(compute_deadlines(HE, CALLED), status, now)) == expected


def test_archive_is_due_only_for_unreplied_suggestion_after_24_h() -> None:
    d = compute_deadlines(SU, CALLED)
    assert not archive_is_due(d, TicketStatus.DISPATCHED, at(10, 1, 9, 59))
    assert archive_is_due(d, TicketStatus.DISPATCHED, at(10, 1, 10))
    assert not archive_is_due(d, TicketStatus.REPLIED, at(10, 1, 10))
    assert not archive_is_due(
        compute_deadlines(SU, CALLED, reply_requested=True), TicketStatus.DISPATCHED, at(10, 5)
    )


@pytest.mark.parametrize(
    ("limit", "label"),
    [
        (Limit(timedelta(hours=48)), "48小时"),
        (Limit(timedelta(days=4), working=True), "4个工作日"),
        (Limit(timedelta(days=3, hours=22), working=True), "3个工作日22小时"),
        (Limit(timedelta(minutes=15)), "15分钟"),
        (Limit(timedelta(0)), "立即"),
    ],
)
def test_limit_labels(limit: Limit, label: str) -> None:
    assert limit.label == label


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from crm.domain.workcalendar import is_working_day  # noqa: E402

_starts = st.datetimes(min_value=datetime(2005, 1, 1), max_value=datetime(2026, 12, 31, 23, 59))


@settings(max_examples=200, deadline=None)
@given(
    call_type=st.sampled_from(list(CallType)),
    requested=st.booleans(),
    a=_starts,
    b=_starts,
)
def test_property_every_due_time_after_the_call_and_monotone(
    call_type: CallType, requested: bool, a: datetime, b: datetime
) -> None:
    early, late = sorted((a, b))
    d_early = compute_deadlines(call_type, early, reply_requested=requested)
    d_late = compute_deadlines(call_type, late, reply_requested=requested)
    for stage, due in d_early.items().items():
        assert due >= d_early.called_at
        assert due <= d_late.items()[stage]
    rule = rule_for(call_type)
    if rule.reply_limit is not None and rule.reply_limit.working and d_early.reply_due:
        assert is_working_day(d_early.reply_due.date())


@pytest.mark.parametrize(
    ("call_type", "front_desk"),
    [
        (C, at(9, 30, 14)),  # consultation: front-desk handling 4 h
        (HE, None),
        (EM, None),
        (CO, None),
        (RE, None),
        (SU, None),
        (PR, None),
        (IN, None),
    ],
)
def test_front_desk_limit_only_for_consultations(
    call_type: CallType, front_desk: datetime | None
) -> None:
    d = compute_deadlines(call_type, CALLED)
    assert d.front_desk_due == front_desk
    assert ("front_desk" in d.items()) is (front_desk is not None)


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        (TicketStatus.REGISTERED, at(9, 30, 14), []),
        (TicketStatus.REGISTERED, at(9, 30, 14, 1), ["front_desk"]),
        (TicketStatus.ANSWERED, at(9, 30, 15), []),  # answered from the knowledge base
        (TicketStatus.DISPATCHED, at(9, 30, 15), []),  # handed to a unit in time or late
        (TicketStatus.DISPATCHED, at(10, 2, 7), ["unit_feedback"]),
        (TicketStatus.DISPATCHED, at(10, 2, 11), ["reply", "unit_feedback"]),
    ],
)
def test_overdue_stages_of_a_consultation(
    status: TicketStatus, now: datetime, expected: list[str]
) -> None:
    assert sorted(overdue_stages(compute_deadlines(C, CALLED), status, now)) == expected
