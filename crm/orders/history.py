"""A caller's earlier tickets: who counts as the same caller, and the list the pop shows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from callmodel.calltypes import TicketStatus
from callmodel.phones import normalize_phone
from crm.domain.lifecycle import OPEN_STATUSES
from crm.domain.moments import iso
from crm.models import Ticket
from crm.models.workorders import TicketDetail


def same_caller(ticket: Ticket) -> ColumnElement[bool]:
    """Tickets from this ticket's caller: the number as stored, or in its canonical form."""
    number = normalize_phone(ticket.caller_number) or ticket.caller_number
    return Ticket.caller_number.in_({number, ticket.caller_number})


def earlier_tickets(session: Session, ticket: Ticket, limit: int = 5) -> list[dict[str, Any]]:
    """The caller's latest other tickets, newest first, as the pop lists them (an open one is
    a chase warning: no new dispatch before its deadline)."""
    rows = session.execute(
        select(Ticket, TicketDetail)
        .outerjoin(TicketDetail, TicketDetail.ticket_id == Ticket.id)
        .where(same_caller(ticket), Ticket.id != ticket.id)
        .order_by(Ticket.created_at.desc())
        .limit(limit)
    ).all()
    now = datetime.now(UTC)
    out = []
    for earlier, detail in rows:
        status = TicketStatus(earlier.status)
        due = detail.reply_due if detail else None
        is_open = detail is not None and status in OPEN_STATUSES
        out.append(
            {
                "ticket_id": earlier.id,
                "number": earlier.number,
                "created_at": iso(earlier.created_at),
                "call_type": earlier.call_type.value if earlier.call_type else None,
                "status": status.value,
                "question": (detail.question if detail else earlier.content) or "",
                "reply_due": iso(due),
                "open": is_open,
                "overdue": bool(is_open and due is not None and due < now),
                # A report's content is confidential: the redaction hides it from others.
                "_confidential": bool(detail and detail.confidential),
                "_reviewer": detail.assigned_reviewer if detail else None,
            }
        )
    return out
