"""What a screen pop shows: built once per ringing call from the capabilities' services, then
redacted per user. Never writes. The caller's earlier tickets, an open order (a chase warning:
no new dispatch before the deadline), knowledge-base answers and special lines that fit the IVR
choice. The caller's home area (归属地) and line type come with the number: a mobile's
province and city, a fixed line's city, so the agent can ask the right questions;
and where the call stands for one agent's desk (``call_state``), which the console shows as
振铃 → 通话中 → 已挂机 · 话后整理.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

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


# Where a call stands for one desk. "taken": another desk answered it; "missed": the caller hung
# up before this desk answered.
RINGING, TALKING, ENDED, TAKEN, MISSED = "ringing", "talking", "ended", "taken", "missed"


def desk_of(interface: str | None) -> str | None:
    """The extension of an Asterisk interface (``PJSIP/8001`` → ``8001``)."""
    return interface.rsplit("/", 1)[-1] if interface else None


def call_state(call: Call, extension: str) -> dict[str, Any]:
    """The call as ``extension``'s console shows it. The call is over for the agent when the
    agent's leg ended (AgentCompleted: talk seconds known) or the caller's channel did."""
    mine = desk_of(call.agent_interface) == extension
    over = call.ended_at is not None or call.talk_seconds is not None
    if call.answered_at is not None and not mine:
        state = TAKEN
    elif call.answered_at is not None:
        state = ENDED if over else TALKING
    else:
        state = MISSED if call.ended_at is not None else RINGING
    ended_at: datetime | None = call.ended_at
    if state == ENDED and ended_at is None and call.answered_at and call.talk_seconds is not None:
        ended_at = call.answered_at + timedelta(seconds=call.talk_seconds)
    return {
        "uniqueid": call.uniqueid,
        "ticket_id": call.ticket.id if call.ticket else None,
        "state": state,
        "answered_at": iso(call.answered_at) if state in (TALKING, ENDED) else None,
        "ended_at": iso(ended_at),
        "talk_seconds": call.talk_seconds,
    }


def latest_answered_call(session: Session, extension: str) -> Call | None:
    """The last call this desk answered (any channel technology: ``PJSIP/8001``)."""
    return session.scalars(
        select(Call)
        .options(selectinload(Call.ticket))
        .where(
            Call.answered_at.is_not(None),
            (Call.agent_interface == extension) | Call.agent_interface.like(f"%/{extension}"),
        )
        .order_by(Call.answered_at.desc())
        .limit(1)
    ).first()


def age_seconds(moment: datetime) -> float:
    return (datetime.now(UTC) - moment).total_seconds()
