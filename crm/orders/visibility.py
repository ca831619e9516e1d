"""Who may read an order: the confidentiality of reports (举报), every such read audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crm import audit
from crm.domain.access import (
    Viewer,
    can_read,
    read_must_be_audited,
)
from crm.domain.errors import Forbidden
from crm.models.calls import Ticket
from crm.models.workorders import TicketDetail
from crm.orders.tickets import get_detail, get_ticket, visibility


def read_ticket(session: Session, ticket_id: int, actor: Viewer) -> tuple[Ticket, TicketDetail]:
    """Load a ticket for display; reports only for their readers, and every such read audited."""
    ticket = get_ticket(session, ticket_id)
    detail = get_detail(session, ticket_id)
    vis = visibility(session, ticket, detail)
    if not can_read(actor, vis):
        audit.record(session, actor.username, "read_denied", "ticket", ticket.id)
        raise Forbidden("举报件仅热线负责人和指定审核人员可以查看。")
    if read_must_be_audited(vis):
        audit.record(session, actor.username, "read_confidential", "ticket", ticket.id)
    return ticket, detail
