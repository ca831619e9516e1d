"""Repeat callers: chase (催单) vs re-dispatch, across National Day 2026."""

from __future__ import annotations

from datetime import datetime

import pytest

from callmodel.calltypes import CallType, TicketStatus
from crm.domain import messages as msg
from crm.domain.repeat import PriorOrder, decide_repeat
from crm.domain.workcalendar import CHINA_TZ

CALLED = datetime(2026, 9, 30, 10, 0, tzinfo=CHINA_TZ)


def at(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=CHINA_TZ)


def prior(call_type: CallType, status: TicketStatus = TicketStatus.DISPATCHED) -> PriorOrder:
    return PriorOrder("20260930-0007", call_type, status, CALLED)


@pytest.mark.parametrize(
    ("rule", "order", "now", "unhappy", "kind", "new_type"),
    [
        (
            "help request within 24 h: chase",
            prior(CallType.HELP),
            at(10, 1, 9),
            False,
            "chase",
            CallType.INVALID,
        ),
        (
            "help request after 24 h: re-dispatch",
            prior(CallType.HELP),
            at(10, 1, 11),
            False,
            "redispatch",
            CallType.HELP,
        ),
        # 4 working days end Oct 12 10:00 (Oct 10 is a worked Saturday): Oct 11 is still a chase.
        (
            "complaint during National Day: chase",
            prior(CallType.COMPLAINT),
            at(10, 11, 12),
            False,
            "chase",
            CallType.INVALID,
        ),
        (
            "complaint after 4 working days: re-dispatch",
            prior(CallType.COMPLAINT),
            at(10, 12, 11),
            False,
            "redispatch",
            CallType.COMPLAINT,
        ),
        (
            "unhappy caller: re-dispatch even in time",
            prior(CallType.HELP, TicketStatus.VISITED),
            at(10, 1, 9),
            True,
            "redispatch",
            CallType.HELP,
        ),
        (
            "emergency re-call after timeout: as help request",
            prior(CallType.EMERGENCY, TicketStatus.REPLIED),
            at(10, 1, 9),
            False,
            "redispatch",
            CallType.HELP,
        ),
        (
            "closed and satisfied: a new matter",
            prior(CallType.HELP, TicketStatus.ARCHIVED),
            at(10, 1, 11),
            False,
            "new",
            None,
        ),
    ],
)
def test_repeat_caller(
    rule: str,
    order: PriorOrder,
    now: datetime,
    unhappy: bool,
    kind: str,
    new_type: CallType | None,
) -> None:
    decision = decide_repeat(order, now, caller_unhappy=unhappy)
    assert (decision.kind, decision.call_type) == (kind, new_type), rule
    assert decision.dispatch is (kind == "redispatch"), rule


def test_chase_note_names_the_order_and_no_dispatch() -> None:
    decision = decide_repeat(prior(CallType.HELP), at(9, 30, 20))
    assert decision.is_chase
    assert decision.notes == ("催单：定单20260930-0007",)
    assert decision.previous_number == "20260930-0007"


@pytest.mark.parametrize("call_type", [CallType.HELP, CallType.REPORT, CallType.COMPLAINT])
def test_redispatch_carries_the_reference_and_no_other_types_notes(call_type: CallType) -> None:
    """The help request's three notes (22 h feedback) come with a help request's dispatch
    (crm/orders/stages.py), never with a re-dispatched report or complaint."""
    decision = decide_repeat(prior(call_type), at(11, 30))
    assert decision.kind == "redispatch" and decision.previous_number == "20260930-0007"
    [note] = decision.notes
    assert "20260930-0007" in note and "特别跟进" in note
    assert len(msg.DISPATCH_NOTES) == 3 and "22小时" in msg.DISPATCH_NOTES[1]


def test_first_call_is_a_new_order() -> None:
    assert decide_repeat(None, CALLED).kind == "new"
