"""What a screen pop shows: built once per ringing call from the capabilities' services, then
redacted per user. Never writes. The caller's earlier tickets, an open order (a chase warning:
no new dispatch before the deadline), knowledge-base answers and special lines that fit the IVR
choice. The caller's home area (归属地) and line type come with the number: a mobile's
province and city, a fixed line's city, so the agent can ask the right questions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from callmodel.calltypes import CallType
from callmodel.phones import caller_facts
from crm.directory.services import special_lines_for
from crm.domain.moments import iso
from crm.knowledge.services import kb_for
from crm.models import Call
from crm.orders.history import earlier_tickets
from ivr.menu import Menu


def build_pop(session: Session, call: Call, menu: Menu | None = None) -> dict[str, Any]:
    """The pop of this call, not yet redacted: built before the ring, sent when it rings."""
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
        **caller_facts(call.caller_number),
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
