"""未接来电回拨: missed and abandoned calls called back from the agent's own phone.

One click creates an attempt and asks Asterisk (AMI Originate) to ring the agent's phone; when
the agent answers, the dialplan's [hotline-callback] dials the citizen through the carrier trunk
and, at hang-up, reports the result with a UserEvent. An attempt that fails on the agent's side
is reported by Asterisk's OriginateResponse. The ticket leaves the list only when the citizen
answered; every attempt stays on the ticket with its agent, time and result.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmodel import dialplan
from callmodel.callback_numbers import CallbackNumberRefused, CallbackPolicy, dialable
from crm import audit
from crm.agents.services import AgentRequestError
from crm.bridge.ami import AmiBridge
from crm.bridge.translate import AGENT_NO_ANSWER
from crm.domain.callback_channel import channel_id, originated
from crm.domain.moments import iso
from crm.models import CallbackAttempt, Ticket
from crm.orders import services as orders

log = logging.getLogger(__name__)

ANSWERED = "ANSWER"
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
    """The Chinese word for an attempt's result, as the lists show it."""
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


def _owed(session: Session, number: str | None = None) -> list[Ticket]:
    """Every ticket still owed a call-back, oldest first (of one caller when ``number``)."""
    query = select(Ticket).where(
        Ticket.callback_needed.is_(True), Ticket.callback_done_at.is_(None)
    )
    if number is not None:
        query = query.where(Ticket.caller_number == number)
    return list(session.scalars(query.order_by(Ticket.created_at)))


@dataclass(frozen=True)
class Owed:
    """One caller on the call-back list: their latest ticket, and how many calls it stands for."""

    ticket: Ticket
    missed_calls: int


def still_to_call_back(session: Session, limit: int | None = 200) -> list[Owed]:
    """The call-back list (未接来电回拨): one entry per caller, however often they tried, in the
    order they first did (the longest waiting first). All of them when no limit."""
    latest: dict[str, Ticket] = {}
    missed: dict[str, int] = {}
    for ticket in _owed(session):
        latest[ticket.caller_number] = ticket  # a dict keeps the place of the first call
        missed[ticket.caller_number] = missed.get(ticket.caller_number, 0) + 1
    owed = [Owed(ticket, missed[number]) for number, ticket in latest.items()]
    return owed if limit is None else owed[:limit]


def settle_callbacks(session: Session, number: str, moment: datetime) -> None:
    """The caller was reached (a call-back answered, or they called again and were answered):
    every call-back still owed to that number is done, so no one rings them again."""
    for ticket in _owed(session, number):
        ticket.callback_done_at = moment


def callback_list(session: Session) -> list[dict[str, Any]]:
    """The call-back list as the agent console shows it: each ticket with its attempts so far."""
    owed = still_to_call_back(session)
    attempts = attempts_by_ticket(session, [o.ticket.id for o in owed])
    rows = []
    for t, missed_calls in ((o.ticket, o.missed_calls) for o in owed):
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
                "missed_calls": missed_calls,
                "last_status": last.status if last else None,
                "last_status_label": status_label(last.status) if last else None,
                "last_at": iso(last.started_at) if last else None,
            }
        )
    return rows


def callback_policy(settings: Any) -> CallbackPolicy:
    return CallbackPolicy.of(settings.callback.allowed, settings.callback.refused)


def start_attempt(
    session: Session, ticket_id: int, extension: str, actor: str, policy: CallbackPolicy
) -> tuple[int, str]:
    """A new attempt for this ticket from this agent's extension, audited and committed:
    (attempt id, the number to dial). Toll fraud: only numbers the call-back policy allows are
    dialled; a refusal is audited and said to the agent."""
    ticket = orders.get_ticket(session, ticket_id)
    try:
        number = dialable(ticket.caller_number, policy)
    except CallbackNumberRefused as exc:
        audit.record(
            session, actor, "call_back_refused", "ticket", ticket.id,
            extension=extension, reason=str(exc),
        )  # fmt: skip
        session.commit()
        raise AgentRequestError(str(exc)) from exc
    attempt = CallbackAttempt(ticket_id=ticket.id, agent_extension=extension, number=number)
    session.add(attempt)
    session.flush()
    audit.record(
        session, actor, "call_back", "ticket", ticket.id, extension=extension, attempt=attempt.id
    )
    session.commit()
    return attempt.id, number


async def originate(
    ami: AmiBridge, ticket_id: int, attempt_id: int, extension: str, number: str
) -> None:
    """Ask Asterisk to ring the agent's phone, then run [hotline-callback] to dial the citizen;
    the result comes back as a ``CallbackFinished`` through the bridge."""
    await ami.action(
        {
            "Action": "Originate",
            "ActionID": f"{dialplan.CALLBACK_ACTION_PREFIX}{attempt_id}",
            # Only this channel's result counts for the attempt (record_result).
            "ChannelId": channel_id(ami.settings.ami_secret, attempt_id),
            "Channel": f"PJSIP/{extension}",
            "Context": dialplan.CALLBACK_CONTEXT,
            "Exten": number,
            "Priority": "1",
            "CallerID": f"回拨 <{number}>",
            "Async": "true",
            "Variable": f"{dialplan.CALLBACK_TICKET}={ticket_id},"
            f"{dialplan.CALLBACK_ATTEMPT}={attempt_id}",
        }
    )


def record_result(
    state: Any,
    attempt_id: int,
    status: str,
    talk_seconds: int | None,
    recording: str | None = None,
    *,
    channel: str | None = None,
    from_dialplan: bool = False,
) -> bool:
    """The attempt's result, once; an answered call-back takes the ticket off the list.
    False when the attempt is unknown or already has its result, and when the dialplan's
    report comes from any channel but the one originated for the attempt (a forged event)."""
    if from_dialplan and not originated(state.settings.ami_secret, attempt_id, channel):
        log.warning("call-back %s: result from a channel the CRM did not originate", attempt_id)
        return False
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
            settle_callbacks(session, ticket.caller_number, attempt.ended_at)
        session.commit()
        return True
