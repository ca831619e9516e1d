"""未接来电回拨: missed and abandoned calls called back from the agent's own phone.

One click creates an attempt and asks Asterisk (AMI Originate) to ring the agent's phone; when
the agent answers, the dialplan's [hotline-callback] dials the citizen through the carrier trunk
and, at hang-up, reports the result with a UserEvent. An attempt that fails on the agent's side
is reported by Asterisk's OriginateResponse. The ticket leaves the list only when the citizen
answered; every attempt stays on the ticket with its agent, time and result.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import audit
from crm.accounts.services import Staff
from crm.agents.console import AgentOnly, agent_extension
from crm.agents.services import AgentRequestError
from crm.domain.access import Role
from crm.domain.redaction import redact
from crm.http.deps import require, same_origin
from crm.models import CallbackAttempt, Ticket
from crm.orders import services as orders
from crm.text import T
from crm.web.pop import iso

log = logging.getLogger(__name__)
router = APIRouter(prefix="/web/api", tags=["web console"], dependencies=[Depends(same_origin)])

# Where a call-back runs once the agent's phone answers (dialplans/extensions.conf).
CALLBACK_CONTEXT = "hotline-callback"
ACTION_PREFIX = "hotline-callback-"
ANSWERED = "ANSWER"
AGENT_NO_ANSWER = "AGENT_NOANSWER"
STATUS_LABELS = {
    "calling": "正在回拨",
    ANSWERED: "已接通",
    "NOANSWER": "无人接听",
    "BUSY": "对方忙",
    "CHANUNAVAIL": "无法接通",
    "CONGESTION": "线路忙",
    "CANCEL": "已取消",
    AGENT_NO_ANSWER: "坐席话机未接听",
}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, "未接通")


def attempts_by_ticket(session: Session, ticket_ids: list[int]) -> dict[int, list[CallbackAttempt]]:
    """Each ticket's call-backs, oldest first, in one query."""
    attempts: dict[int, list[CallbackAttempt]] = {}
    for attempt in session.scalars(
        select(CallbackAttempt)
        .where(CallbackAttempt.ticket_id.in_(ticket_ids))
        .order_by(CallbackAttempt.id)
    ):
        attempts.setdefault(attempt.ticket_id, []).append(attempt)
    return attempts


@router.get("/callbacks")
def callbacks(
    request: Request,
    staff: Staff = require(Role.AGENT, Role.SHIFT_LEADER, Role.SUPERVISOR, Role.HOTLINE_LEADER),
) -> list[dict[str, Any]]:
    """The tickets still to call back (as GET /api/callbacks), each with its attempts so far,
    redacted for the viewer."""
    with request.app.state.sessions() as session:
        tickets = list(
            session.scalars(
                select(Ticket)
                .where(Ticket.callback_needed.is_(True), Ticket.callback_done_at.is_(None))
                .order_by(Ticket.created_at)
                .limit(200)
            )
        )
        attempts = attempts_by_ticket(session, [t.id for t in tickets])
        rows = []
        for t in tickets:
            tried = attempts.get(t.id, [])
            last = tried[-1] if tried else None
            rows.append(
                {
                    "ticket_id": t.id,
                    "number": t.number,
                    "caller_number": t.caller_number,
                    "created_at": iso(t.created_at),
                    "outcome": t.call.outcome if t.call else None,
                    "ivr_choice": t.call.ivr_choice if t.call else None,
                    "attempts": len(tried),
                    "last_status": last.status if last else None,
                    "last_status_label": status_label(last.status) if last else None,
                    "last_at": iso(last.started_at) if last else None,
                }
            )
    return redact(staff.viewer, rows)


@router.post("/callbacks/{ticket_id}/call")
async def call_back(ticket_id: int, request: Request, staff: Staff = AgentOnly) -> dict[str, Any]:
    """One click: Asterisk rings the agent's phone, then dials the citizen (AMI Originate)."""
    extension = agent_extension(staff)
    settings = request.app.state.settings
    if not settings.trunk.contact:
        raise AgentRequestError("未配置外线中继（trunk.contact），无法回拨")

    def start() -> tuple[int, str]:
        with request.app.state.sessions() as session:
            ticket = orders.get_ticket(session, ticket_id)
            if not ticket.caller_number.isdigit():
                raise AgentRequestError("号码不正确，无法回拨")
            attempt = CallbackAttempt(
                ticket_id=ticket.id, agent_extension=extension, number=ticket.caller_number
            )
            session.add(attempt)
            session.flush()
            audit.record(
                session,
                staff.username,
                "call_back",
                "ticket",
                ticket.id,
                extension=extension,
                attempt=attempt.id,
            )
            session.commit()
            return attempt.id, ticket.caller_number

    attempt_id, number = await asyncio.to_thread(start)
    try:
        await request.app.state.agents.ami.action(
            {
                "Action": "Originate",
                "ActionID": f"{ACTION_PREFIX}{attempt_id}",
                "Channel": f"PJSIP/{extension}",
                "Context": CALLBACK_CONTEXT,
                "Exten": number,
                "Priority": "1",
                "CallerID": f"回拨 <{number}>",
                "Async": "true",
                "Variable": f"HOTLINE_CALLBACK_TICKET={ticket_id},"
                f"HOTLINE_CALLBACK_ATTEMPT={attempt_id}",
            }
        )
    except Exception:
        await asyncio.to_thread(record_result, request.app.state, attempt_id, "CHANUNAVAIL", None)
        raise
    return {
        "ok": True,
        "ticket_id": ticket_id,
        "attempt_id": attempt_id,
        "message": T["calling_back"],
    }


def record_result(
    state: Any,
    attempt_id: int,
    status: str,
    talk_seconds: int | None,
    recording: str | None = None,
) -> bool:
    """The attempt's result, once; an answered call-back takes the ticket off the list.
    False when the attempt is unknown or already has its result."""
    with state.sessions() as session:
        attempt = session.get(CallbackAttempt, attempt_id)
        if attempt is None or attempt.status != "calling":
            return False
        attempt.status = status or "FAILED"
        attempt.ended_at = datetime.now(UTC)
        attempt.talk_seconds = talk_seconds
        attempt.recording_path = recording
        if status == ANSWERED:
            ticket = session.get(Ticket, attempt.ticket_id)
            assert ticket is not None
            ticket.callback_done_at = attempt.ended_at
        session.commit()
        return True


Result = tuple[int, str, int | None, str | None]


def result_of(headers: Mapping[str, str]) -> Result | None:
    """(attempt, status, talk seconds, recording) from the dialplan's UserEvent, or from
    Asterisk's OriginateResponse when the agent's phone did not answer; None for any other."""
    event = headers.get("Event")
    if event == "UserEvent" and headers.get("UserEvent") == "HotlineCallback":
        attempt, status, talk = (
            headers.get("Attempt"),
            headers.get("Status", ""),
            headers.get("Talk"),
        )
        talk_seconds = int(talk) if talk and talk.isdigit() else None
        recording = headers.get("Recording") or None
    elif event == "OriginateResponse" and headers.get("Response") == "Failure":
        attempt = (headers.get("ActionID") or "").removeprefix(ACTION_PREFIX)
        if not headers.get("ActionID", "").startswith(ACTION_PREFIX):
            return None
        status, talk_seconds, recording = AGENT_NO_ANSWER, None, None
    else:
        return None
    if not attempt or not attempt.isdigit():
        log.warning("call-back result without a valid attempt: %r", dict(headers))
        return None
    return int(attempt), status.strip().upper(), talk_seconds, recording


def on_ami_event(state: Any, headers: Mapping[str, str]) -> None:
    """AMI raw listener: store a call-back's result off the event loop, then tell the consoles
    so their call-back lists redraw."""
    result = result_of(headers)
    if result is None:
        return

    async def store() -> None:
        try:
            if await asyncio.to_thread(record_result, state, *result):
                state.web_hub.broadcast({"type": "callbacks"}, Role.AGENT, Role.SHIFT_LEADER)
        except Exception:
            log.exception("could not record the call-back result %r", result)

    asyncio.get_running_loop().create_task(store())
