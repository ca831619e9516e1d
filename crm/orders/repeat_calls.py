"""A caller who calls again about an order: chase (催单) or re-dispatch (docs/hotline-rules.md,
Chases 催单). None commits: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from callmodel.calltypes import CallType, TicketStatus
from callmodel.phones import normalize_phone
from crm import audit
from crm.domain import messages as msg
from crm.domain.access import (
    MAY_DISPATCH,
    MAY_REGISTER,
    Viewer,
)
from crm.domain.repeat import PriorOrder, RepeatDecision, decide_repeat
from crm.models.calls import Ticket
from crm.models.workorders import Caller, TicketDetail, WorkOrder
from crm.orders.history import same_caller
from crm.orders.numbering import next_ticket_number
from crm.orders.registration import RegistrationForm, register_ticket
from crm.orders.stages import dispatch
from crm.orders.tickets import at_or_now, called_at, get_ticket, require_role
from crm.orders.visibility import check_read


def _prior_order(ticket: Ticket, detail: TicketDetail) -> PriorOrder:
    return PriorOrder(
        number=ticket.number,
        call_type=CallType(detail.call_type),
        status=TicketStatus(ticket.status),
        called_at=detail.called_at,
        reply_requested=detail.reply_requested,
    )


def latest_prior_ticket(session: Session, ticket: Ticket) -> Ticket | None:
    """The caller's most recent earlier registered ticket that was not itself a chase.

    Matched on the number the call path stored (indexed) or on the contact number an agent
    registered for the same caller, so a caller ringing from another phone is still found.
    """
    number = normalize_phone(ticket.caller_number)
    if number is None:
        return None
    caller_ids = select(Caller.id).where(Caller.number == number)
    query = (
        select(Ticket)
        .join(TicketDetail, TicketDetail.ticket_id == Ticket.id)
        .where(Ticket.id != ticket.id, Ticket.created_at <= ticket.created_at)
        .where(TicketDetail.call_type != CallType.INVALID.value)
        .where(
            or_(
                same_caller(ticket),
                TicketDetail.caller_id.in_(caller_ids),
            )
        )
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def handle_repeat_call(
    session: Session,
    ticket_id: int,
    actor: Viewer,
    *,
    previous_ticket_id: int | None = None,
    caller_unhappy: bool = False,
    now: datetime | None = None,
) -> RepeatDecision:
    """A caller rings again about an earlier order: chase, or a new order re-dispatched.

    Chase: this ticket is recorded as invalid/other with "chase of order N" and archived; nothing
    is dispatched. Re-dispatch: this ticket takes the old order's type and question, references it
    (``previous_ticket_id``) and goes to the old order's unit with the three notes.
    """
    require_role(actor, MAY_REGISTER, "登记来电")
    ticket = get_ticket(session, ticket_id)
    prior: Ticket | None
    if previous_ticket_id is not None:
        prior = get_ticket(session, previous_ticket_id)
    else:
        prior = latest_prior_ticket(session, ticket)
    if prior is not None:
        # A report's question and caller go no further than its readers (refusal audited).
        check_read(session, prior, actor, surface="repeat")
    prior_detail = session.get(TicketDetail, prior.id) if prior is not None else None
    moment = now or called_at(ticket)
    decision = decide_repeat(
        _prior_order(prior, prior_detail) if prior and prior_detail else None,
        moment,
        caller_unhappy=caller_unhappy,
    )
    if prior is None or prior_detail is None or decision.kind == "new":
        if prior is not None:
            ticket.previous_ticket_id = prior.id
        return decision
    ticket.previous_ticket_id = prior.id
    if decision.is_chase:
        form = RegistrationForm(CallType.INVALID, msg.CHASE_NOTE.format(number=prior.number))
        detail = register_ticket(session, ticket.id, form, actor, now=now)
        detail.notes = list(decision.notes)
        ticket.handling_note = "\n".join(decision.notes)
        audit.record(session, actor.username, "chase", "ticket", ticket.id, of=prior.number)
        return decision

    assert decision.call_type is not None
    form = RegistrationForm(
        decision.call_type,
        prior_detail.question,
        contact_number=prior_detail.contact_number,
        target=prior_detail.target,
        location=prior_detail.location,
        body_unit_id=prior_detail.body_unit_id,
        reply_requested=prior_detail.reply_requested,
        assigned_reviewer=prior_detail.assigned_reviewer,
        repair_category=prior_detail.repair_category,
    )
    detail = register_ticket(session, ticket.id, form, actor, now=now)
    detail.notes = [*detail.notes, *decision.notes]
    ticket.handling_note = "\n".join(detail.notes)
    last_order = session.scalar(
        select(WorkOrder)
        .where(WorkOrder.ticket_id == prior.id)
        .order_by(WorkOrder.dispatched_at.desc(), WorkOrder.id.desc())
    )
    unit_id = last_order.unit_id if last_order else prior_detail.body_unit_id
    # The shift leader re-dispatches; an agent's registration waits for them with the notes.
    can_dispatch = bool(actor.roles & MAY_DISPATCH)
    if unit_id is not None and can_dispatch and ticket.status == TicketStatus.REGISTERED:
        dispatch(session, ticket.id, unit_id, actor, now=now)
    audit.record(session, actor.username, "redispatch", "ticket", ticket.id, of=prior.number)
    return decision


def create_repeat_ticket(
    session: Session, prior_ticket_id: int, caller_number: str, now: datetime | None = None
) -> Ticket:
    """A new ticket for a repeat call when the call path did not create one (e.g. a callback)."""
    moment = at_or_now(now)
    ticket = Ticket(
        number=next_ticket_number(session, moment),
        caller_number=caller_number,
        created_at=moment,
        status=TicketStatus.REGISTERED,
        previous_ticket_id=prior_ticket_id,
    )
    session.add(ticket)
    session.flush()
    return ticket
