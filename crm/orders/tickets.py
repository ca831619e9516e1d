"""Loading a ticket and its order, and moving it from one lifecycle stage to the next.

The pieces every stage shares: the acting system user, role checks, the ticket and its detail,
its deadlines, and ``transition`` (ask ``crm.domain.lifecycle``, apply the effects, audit).
None commits: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmodel.calltypes import CallType, TicketStatus
from crm import audit
from crm.domain.access import (
    OrderVisibility,
    Role,
    Viewer,
    can_read,
)
from crm.domain.deadlines import Deadlines, compute_deadlines
from crm.domain.errors import Forbidden, NotFound, RuleViolation
from crm.domain.lifecycle import Action, ActionInput, Effect, OrderFacts, Outcome, apply
from crm.models.calls import Alert, Ticket
from crm.models.workorders import TicketDetail, Unit, WorkOrder

# Serious complaints are also referred to this unit (效能监察): its code in config/units.yaml.
EFFICIENCY_UNIT_CODE = "city-efficiency"

# The call path acts as a first-contact agent; use it when no person is signed in yet.
SYSTEM = Viewer("system", frozenset({Role.AGENT, Role.SHIFT_LEADER}))


def at_or_now(now: datetime | None) -> datetime:
    """The moment an action happens: the one given (tests, replays), else now."""
    return now or datetime.now(UTC)


def require_role(actor: Viewer, allowed: frozenset[Role], what: str) -> None:
    """Refuse an actor without one of the roles this action needs."""
    if not actor.roles & allowed:
        names = "、".join(sorted(r.label for r in allowed))
        raise Forbidden(f"{what}需要以下角色之一：{names}")


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    """The ticket, or ``NotFound`` (404) for the caller of the API."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("定单", ticket_id)
    return ticket


def get_detail(session: Session, ticket_id: int) -> TicketDetail:
    """The registered order of a ticket; a rule violation (409) while it is not registered."""
    detail = session.get(TicketDetail, ticket_id)
    if detail is None:
        raise RuleViolation("not_registered", f"定单 {ticket_id} 尚未登记来电类型。")
    return detail


def called_at(ticket: Ticket) -> datetime:
    """The call's timestamp, from which every limit runs."""
    if ticket.call is not None and ticket.call.started_at is not None:
        return ticket.call.started_at
    return ticket.created_at


def deadlines_of(detail: TicketDetail) -> Deadlines:
    """The order's deadlines, recomputed from the call time and its type."""
    return compute_deadlines(
        detail.call_type, detail.called_at, reply_requested=detail.reply_requested
    )


def order_facts(ticket: Ticket, detail: TicketDetail) -> OrderFacts:
    """What ``crm.domain.lifecycle`` needs to know about an order."""
    return OrderFacts(
        call_type=CallType(detail.call_type),
        status=TicketStatus(ticket.status),
        called_at=detail.called_at,
        forwardable=detail.forwardable,
        reply_requested=detail.reply_requested,
        simple=detail.simple,
    )


def raise_alert(session: Session, ticket: Ticket, kind: str, audience: str, message: str) -> None:
    """An alert for the consoles of one audience (leader, reviewer…)."""
    session.add(Alert(kind=kind, audience=audience, ticket_id=ticket.id, message=message, data={}))


def transition(
    session: Session,
    ticket: Ticket,
    detail: TicketDetail,
    action: Action,
    actor: Viewer,
    data: ActionInput | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Apply one lifecycle action and carry out its effects.

    A report (举报) can only be acted on by those who may read it: the hotline leader and the
    assigned reviewer (plus the scheduler, which never touches reports: they do not auto-archive).
    """
    is_report = detail.call_type == CallType.REPORT.value and action is not Action.CLOSE
    if is_report and not can_read(actor, visibility(session, ticket, detail)):
        raise Forbidden("举报件仅热线负责人和指定审核人员可以办理。")
    outcome = apply(order_facts(ticket, detail), action, data)
    ticket.status = outcome.status
    detail.simple = outcome.simple
    if outcome.status is TicketStatus.ARCHIVED:
        ticket.archived_at = at_or_now(now)
    for effect in outcome.effects:
        if effect is Effect.NOTIFY_HOTLINE_LEADER:
            raise_alert(
                session,
                ticket,
                f"{detail.call_type}_reported",
                Role.HOTLINE_LEADER.value,
                f"定单{ticket.number}（{CallType(detail.call_type).label}）请热线负责人知悉。",
            )
        elif effect is Effect.RETURN_TO_SHIFT_LEADER:
            raise_alert(
                session,
                ticket,
                "simple_order_answered",
                Role.SHIFT_LEADER.value,
                f"简易工单{ticket.number}已记录单位答复，请值班长答复来电人。",
            )
    audit.record(
        session, actor.username, action.value, "ticket", ticket.id, status=outcome.status.value
    )
    return outcome


def visibility(session: Session, ticket: Ticket, detail: TicketDetail | None) -> OrderVisibility:
    """What the access rules need to know about an order: its type, reviewer, taker, unit."""
    order = session.scalar(
        select(WorkOrder).where(WorkOrder.ticket_id == ticket.id).order_by(WorkOrder.id.desc())
    )
    unit = session.get(Unit, order.unit_id) if order else None
    return OrderVisibility(
        call_type=CallType(detail.call_type if detail else (ticket.call_type or "consultation")),
        assigned_reviewer=detail.assigned_reviewer if detail else None,
        taken_by=detail.taken_by if detail else None,
        unit_id=order.unit_id if order else None,
        unit_handles_reports=bool(unit and unit.handles_reports),
    )
