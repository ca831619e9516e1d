"""What a screen pop shows: built once per ringing call from the database, then redacted per user.

Never writes. The caller's earlier tickets, an open order (a chase warning: no new dispatch
before the deadline), knowledge-base answers and special lines that fit the IVR choice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from callmodel.calltypes import CallType, TicketStatus
from crm.domain.lifecycle import OPEN_STATUSES
from crm.domain.moments import iso
from crm.domain.phones import normalize_phone
from crm.domain.special_lines import SpecialLine, suggest_special_lines
from crm.knowledge import services as knowledge
from crm.models import Call, Ticket
from crm.models.knowledge import SpecialLineEntry
from crm.models.workorders import TicketDetail
from ivr.menu import Menu


def call_of(session: Session, uniqueid: str) -> Call | None:
    return session.scalars(
        select(Call).options(selectinload(Call.ticket)).where(Call.uniqueid == uniqueid)
    ).one_or_none()


def earlier_tickets(session: Session, ticket: Ticket, limit: int = 5) -> list[dict[str, Any]]:
    number = normalize_phone(ticket.caller_number) or ticket.caller_number
    rows = session.execute(
        select(Ticket, TicketDetail)
        .outerjoin(TicketDetail, TicketDetail.ticket_id == Ticket.id)
        .where(Ticket.caller_number.in_({number, ticket.caller_number}), Ticket.id != ticket.id)
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


def special_lines_for(session: Session, text: str) -> list[dict[str, str]]:
    rows = list(session.scalars(select(SpecialLineEntry).where(SpecialLineEntry.active.is_(True))))
    lines = [SpecialLine(r.number, r.name, r.scope, tuple(r.keywords)) for r in rows]
    return [
        {"line": x.number, "name": x.name, "scope": x.scope}
        for x in suggest_special_lines(text, lines)
    ][:5]


def kb_for(session: Session, text: str, limit: int = 5) -> list[dict[str, Any]]:
    if not text:
        return []
    return [
        {"id": h.article.id, "title": h.article.title, "body": h.article.body[:400]}
        for h in knowledge.search(session, text, limit)
    ]


def build_pop(session: Session, call: Call, menu: Menu | None = None) -> dict[str, Any]:
    ticket = call.ticket
    assert ticket is not None
    earlier = earlier_tickets(session, ticket)
    open_orders = [t for t in earlier if t["open"]]
    queue_label = menu.queues[call.queue].label if menu and call.queue in menu.queues else None
    hint = call.ivr_choice or queue_label or ""
    return {
        "uniqueid": call.uniqueid,
        "ticket_id": ticket.id,
        "ticket": ticket.number,
        "caller_number": call.caller_number,
        "started_at": iso(call.started_at),
        "ivr_choice": call.ivr_choice or queue_label,
        "ivr_path": call.ivr_path,
        "queue": call.queue,
        "call_type": ticket.call_type.value if ticket.call_type else None,
        "urgent": call.route == "emergency" or ticket.call_type is CallType.EMERGENCY,
        "earlier": earlier,
        "open_order": open_orders[0] if open_orders else None,
        "kb": kb_for(session, hint),
        "special_lines": special_lines_for(session, hint),
    }
