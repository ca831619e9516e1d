"""Repeat callers: a chase (催单) or a new order that re-dispatches the old one.

A caller who rings again about an order that is still within its reply limit is chasing it: no new
dispatch (units must not get the same job twice), the call is recorded as invalid/other with the
note "chase of order N". Once the order is overdue — or the caller says the result did not satisfy
them — a new order references the old one and goes out again with an instruction to follow it
specially, and the notes of its own type's dispatch (a help request's three).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from callmodel.calltypes import CallType, TicketStatus
from crm.domain import messages as msg
from crm.domain.deadlines import compute_deadlines
from crm.domain.workcalendar import to_china

_CLOSED = frozenset({TicketStatus.ARCHIVED, TicketStatus.ANSWERED})


@dataclass(frozen=True)
class PriorOrder:
    number: str
    call_type: CallType
    status: TicketStatus
    called_at: datetime
    reply_requested: bool = False


@dataclass(frozen=True)
class RepeatDecision:
    kind: str  # "chase" | "redispatch" | "new"
    call_type: CallType | None  # type of the new ticket; None: the agent classifies it
    previous_number: str | None
    dispatch: bool
    notes: tuple[str, ...]

    @property
    def is_chase(self) -> bool:
        return self.kind == "chase"


def is_overdue(order: PriorOrder, now: datetime) -> bool:
    """Past the reply limit (or, without one, past the unit's feedback limit)."""
    d = compute_deadlines(order.call_type, order.called_at, reply_requested=order.reply_requested)
    due = d.reply_due or d.unit_feedback_due
    return due is not None and to_china(now) > due


def decide_repeat(
    prior: PriorOrder | None, now: datetime, *, caller_unhappy: bool = False
) -> RepeatDecision:
    """What a call about ``prior`` (the caller's latest order on the same matter) becomes."""
    if prior is None:
        return RepeatDecision("new", None, None, dispatch=False, notes=())
    open_ = prior.status not in _CLOSED
    if open_ and not caller_unhappy and not is_overdue(prior, now):
        return RepeatDecision(
            "chase",
            CallType.INVALID,
            prior.number,
            dispatch=False,
            notes=(msg.CHASE_NOTE.format(number=prior.number),),
        )
    if caller_unhappy or (open_ and is_overdue(prior, now)):
        reason = msg.REDISPATCH_REASON_UNHAPPY if caller_unhappy else msg.REDISPATCH_REASON_OVERDUE
        new_type = CallType.HELP if prior.call_type is CallType.EMERGENCY else prior.call_type
        return RepeatDecision(
            "redispatch",
            new_type,
            prior.number,
            dispatch=True,
            # The type's own dispatch notes (a help request's three, 22 h among them) are added
            # by the dispatch itself: a report's or a complaint's are not a help request's.
            notes=(msg.REDISPATCH_OF.format(number=prior.number, reason=reason),),
        )
    # The old order is closed and the caller is satisfied: a new matter, linked for context.
    return RepeatDecision("new", None, prior.number, dispatch=False, notes=())
