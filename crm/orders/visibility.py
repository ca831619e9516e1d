"""Who may read an order: the confidentiality of reports (举报), every such read audited.

The one object rule of every surface that shows an order or its call: the order routes, the
call look-ups, transcripts and their search, recordings, repeat calls and re-registration all
ask ``may_read`` (lists) or ``check_read`` (one order's detail), which ask
``crm.domain.access.can_read`` with what ``crm.orders.tickets.visibility`` knows of the order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from callmodel.calltypes import CallType
from crm import audit
from crm.domain.access import (
    OrderVisibility,
    Viewer,
    can_read,
    read_must_be_audited,
)
from crm.domain.errors import Forbidden
from crm.models.calls import Ticket
from crm.models.workorders import TicketDetail
from crm.orders.tickets import get_detail, get_ticket, visibility

CONFIDENTIAL = "举报件仅热线负责人和指定审核人员可以查看。"
# The only other refusal: a member unit asking for an order that is not its own.
NOT_YOUR_UNIT = "该定单不属于本单位，无权查看。"
# A call without a ticket has nothing confidential about it yet.
NO_ORDER = OrderVisibility(CallType.CONSULTATION)


class ReadRefused(Forbidden):
    """A refused read of a confidential order. It carries its audit entry, so a route can roll
    back whatever else the request had begun and still keep the refusal (``keep_refusal``)."""

    def __init__(self, entry: dict[str, Any], message: str = CONFIDENTIAL) -> None:
        super().__init__(message)
        self.entry = entry


def keep_refusal(session: Session, refused: ReadRefused) -> None:
    """Roll the request's transaction back and commit only the refusal's audit entry: a refused
    request leaves nothing half-written, and the attempt is still on record."""
    session.rollback()
    audit.record(session, **refused.entry)
    session.commit()


def ticket_visibility(session: Session, ticket: Ticket | None) -> OrderVisibility:
    """What the access rules know of a ticket, registered or not (a call may have none yet):
    a ticket the IVR routed as a report is confidential before an agent registers it."""
    if ticket is None:
        return NO_ORDER
    return visibility(session, ticket, session.get(TicketDetail, ticket.id))


def may_read(session: Session, ticket: Ticket | None, actor: Viewer) -> bool:
    """Whether a list may show this ticket (or its call) to the actor at all; lists are not
    audited per row, only the reads of one report's detail are (``check_read``)."""
    return can_read(actor, ticket_visibility(session, ticket))


def check_read(
    session: Session, ticket: Ticket | None, actor: Viewer, **where: Any
) -> OrderVisibility:
    """Refuse (403) an actor who may not read this ticket, writing the refusal to the audit
    log; write each allowed read of a report there too. ``where`` says which surface was read
    (call, transcript…). Does not commit: the caller keeps the audit entry, refused or not
    (``keep_refusal`` after a ``ReadRefused``)."""
    vis = ticket_visibility(session, ticket)
    if ticket is None:
        return vis
    if not can_read(actor, vis):
        entry = dict(
            actor=actor.username,
            action="read_denied",
            entity="ticket",
            entity_id=ticket.id,
            **where,
        )
        audit.record(session, **entry)
        raise ReadRefused(entry, CONFIDENTIAL if read_must_be_audited(vis) else NOT_YOUR_UNIT)
    if read_must_be_audited(vis):
        audit.record(session, actor.username, "read_confidential", "ticket", ticket.id, **where)
    return vis


def read_ticket(session: Session, ticket_id: int, actor: Viewer) -> tuple[Ticket, TicketDetail]:
    """Load a ticket for display; reports only for their readers, and every such read audited."""
    ticket = get_ticket(session, ticket_id)
    detail = get_detail(session, ticket_id)
    check_read(session, ticket, actor)
    return ticket, detail
