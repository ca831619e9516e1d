"""Apply call events to the database: the call record, its ticket, call-backs and alerts.

Every producer's events come through :func:`apply_event`. Events may arrive late or out of order
(the FastAGI outbox replays after a CRM outage; the AMI bridge sees nothing while the CRM is
down), so each one fills in what it knows and never erases what another already recorded.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from callmodel import events as ev
from callmodel.calltypes import CallType, TicketStatus
from crm.callbacks.services import settle_callbacks
from crm.db import transaction
from crm.domain import messages as msg
from crm.domain.call_outcomes import (
    DIAL_STATUS_LABELS,
    CallOutcome,
    is_known_number,
    needs_callback,
    normalise_number,
    outcome_at_end,
)
from crm.emergency.services import raise_plan_alerts
from crm.models import Alert, Call, IngestedEvent, Ticket, TranscriptionJob
from crm.orders.numbering import next_ticket_number
from crm.orders.services import SYSTEM, archive_emergency

log = logging.getLogger(__name__)

# On the ticket of a caller who left a message after the longest wait (it is on the call-back
# list, like every caller nobody answered).
VOICE_MESSAGE_NOTE = "来电人等待过久后留言（见通话录音末尾），请尽快回电"
FINAL_OUTCOMES = {CallOutcome.TRANSFERRED_110, CallOutcome.ANSWERED, CallOutcome.BLOCKLISTED}


def apply_event(factory: sessionmaker[Session], event: ev.CallEvent) -> Ticket:
    """Apply one event exactly once; returns the call's ticket.

    Two producers may create the same call at the same moment; the loser of that race sees an
    integrity error and simply applies its event again on top of the winner's record.
    """
    for attempt in range(3):
        try:
            with transaction(factory) as session:
                return _apply(session, event)
        except IntegrityError:
            if attempt == 2:
                raise
            log.info("concurrent write for call %s, applying %s again", event.uniqueid, event.kind)
    raise AssertionError("unreachable")


def _apply(session: Session, event: ev.CallEvent) -> Ticket:
    call = _call_for(session, event)
    assert call.ticket is not None
    if session.get(IngestedEvent, event.event_id) is not None:
        return call.ticket
    session.add(IngestedEvent(event_id=event.event_id, kind=event.kind))
    HANDLERS[type(event)](session, call, call.ticket, event)  # type: ignore[operator]
    session.flush()
    return call.ticket


def _call_for(session: Session, event: ev.CallEvent) -> Call:
    """The call this event is about, created with its ticket on first sight."""
    call = session.scalars(select(Call).where(Call.uniqueid == event.uniqueid)).one_or_none()
    if call is not None:
        return call
    number = normalise_number(event.caller_number)
    call = Call(
        uniqueid=event.uniqueid,
        caller_number=number,
        started_at=event.occurred_at,
        ivr_path=[],
        urgent_words=[],
        outcome=CallOutcome.IN_IVR,
    )
    session.add(call)
    session.flush()
    call.ticket = Ticket(
        number=next_ticket_number(session, event.occurred_at),
        caller_number=number,
        created_at=event.occurred_at,
        status=TicketStatus.REGISTERED,
        previous_ticket_id=_latest_ticket_id(session, number),
    )
    session.flush()
    return call


def _latest_ticket_id(session: Session, number: str, before_id: int | None = None) -> int | None:
    if not is_known_number(number):
        return None
    query = select(Ticket.id).where(Ticket.caller_number == number)
    if before_id is not None:
        query = query.where(Ticket.id < before_id)
    return session.scalars(query.order_by(Ticket.id.desc()).limit(1)).first()


# Handlers, one per event type ------------------------------------------------------------------


def _started(session: Session, call: Call, ticket: Ticket, event: ev.CallStarted) -> None:
    call.linkedid = event.linkedid or call.linkedid
    call.channel = event.channel or call.channel
    call.caller_name = event.caller_name or call.caller_name
    call.dialled_number = event.dialled_number or call.dialled_number
    call.started_at = min(call.started_at, event.occurred_at)
    number = normalise_number(event.caller_number)
    if is_known_number(number) and not is_known_number(call.caller_number):
        # The call was first seen through an event that did not carry the number.
        call.caller_number = ticket.caller_number = number
        ticket.previous_ticket_id = _latest_ticket_id(session, number, before_id=ticket.id)


def _routed(session: Session, call: Call, ticket: Ticket, event: ev.CallRouted) -> None:
    call.route = event.route
    call.route_reason = event.reason
    call.ivr_path = list(event.ivr_path)
    call.ivr_choice = event.label
    call.urgent_words = list(event.urgent_words)
    call.queue = event.queue or call.queue
    call.queue_priority = event.priority
    call.ivr_fallback = call.ivr_fallback or event.ivr_fallback
    if event.route == "emergency":
        why = f"语音识别到：{'、'.join(event.urgent_words)}" if event.urgent_words else "按键选择"
        _urgent(session, call, ticket, why)
    elif event.route == "blocked":
        # A listed harassing number (docs/hotline-rules.md, "Call-emergency plan": hung up and
        # recorded). The recording is the call's own; nobody calls it back.
        call.outcome = CallOutcome.BLOCKLISTED
        ticket.call_type = ticket.call_type or CallType.INVALID
        ticket.handling_note = ticket.handling_note or msg.BLOCKLISTED_CALL
        ticket.callback_needed = False
    else:
        if event.call_type and ticket.call_type is None:
            ticket.call_type = CallType(event.call_type)
        if call.outcome == CallOutcome.IN_IVR:
            call.outcome = CallOutcome.QUEUED


def _queue_joined(session: Session, call: Call, ticket: Ticket, event: ev.QueueJoined) -> None:
    call.queue = event.queue
    call.queued_at = call.queued_at or event.occurred_at
    call.route = call.route or "queue"
    if call.outcome in (CallOutcome.IN_IVR, CallOutcome.RINGING_110):
        call.outcome = CallOutcome.QUEUED


def _agent_ringing(session: Session, call: Call, ticket: Ticket, event: ev.AgentRinging) -> None:
    call.agent_called_at = call.agent_called_at or event.occurred_at
    call.queue = event.queue or call.queue


def _agent_answered(session: Session, call: Call, ticket: Ticket, event: ev.AgentAnswered) -> None:
    call.agent_interface = event.agent_interface
    call.answered_at = call.answered_at or event.occurred_at
    call.hold_seconds = event.hold_seconds if event.hold_seconds is not None else call.hold_seconds
    call.ring_seconds = event.ring_seconds if event.ring_seconds is not None else call.ring_seconds
    call.queue = event.queue or call.queue
    call.outcome = CallOutcome.ANSWERED
    ticket.callback_needed = False
    if is_known_number(call.caller_number):
        # The caller reached a person: the calls they missed before are answered too.
        settle_callbacks(session, call.caller_number, event.occurred_at)


def _agent_completed(
    session: Session, call: Call, ticket: Ticket, event: ev.AgentCompleted
) -> None:
    call.agent_interface = event.agent_interface
    call.talk_seconds = event.talk_seconds if event.talk_seconds is not None else call.talk_seconds
    call.hold_seconds = event.hold_seconds if event.hold_seconds is not None else call.hold_seconds
    call.outcome = CallOutcome.ANSWERED


def _queue_abandoned(
    session: Session, call: Call, ticket: Ticket, event: ev.QueueAbandoned
) -> None:
    call.queue = event.queue or call.queue
    call.hold_seconds = event.hold_seconds if event.hold_seconds is not None else call.hold_seconds
    if call.outcome not in FINAL_OUTCOMES:
        call.outcome = CallOutcome.ABANDONED_IN_QUEUE
        ticket.callback_needed = needs_callback(call.outcome, call.caller_number)


def _urgent(session: Session, call: Call, ticket: Ticket, why: str) -> None:
    """An urgent call: the ticket says so and the hotline leader is told, once per call,
    whether the IVR said so (CallRouted) or only Asterisk did (110 rung by the dialplan's own
    menu while the FastAGI server was down)."""
    ticket.call_type = CallType.EMERGENCY
    call.route = call.route or "emergency"
    if call.outcome == CallOutcome.IN_IVR:
        call.outcome = CallOutcome.RINGING_110
    told = session.scalar(
        select(Alert.id).where(Alert.ticket_id == ticket.id, Alert.kind == "emergency")
    )
    if told is None:
        message = f"紧急求助 {ticket.number}：来电 {call.caller_number}（{why}），正在转接110"
        _tell_the_hotline_leader(session, "emergency", call, ticket, message)
    # The plan's handling group hears of it too (docs/hotline-rules.md, "Call-emergency
    # plan"); the leader, told just now, is not told twice.
    raise_plan_alerts(session, ticket, "emergency")


def _tell_the_hotline_leader(
    session: Session, kind: str, call: Call, ticket: Ticket, message: str, **data: str
) -> None:
    session.add(
        Alert(
            kind=kind,
            audience="hotline_leader",
            ticket_id=ticket.id,
            message=message,
            data={"ticket": ticket.number, "caller": call.caller_number, **data},
        )
    )


def _emergency_dial_started(
    session: Session, call: Call, ticket: Ticket, event: ev.EmergencyDialStarted
) -> None:
    _urgent(session, call, ticket, "语音导航不可用，按键选择")


def _emergency_dial_ended(
    session: Session, call: Call, ticket: Ticket, event: ev.EmergencyDialEnded
) -> None:
    call.emergency_dial_status = event.dial_status
    call.route = call.route or "emergency"
    if event.dial_status == "ANSWER":
        _mark_transferred(session, call, ticket, event.occurred_at)
        return
    # Every 110 dial that did not connect, as it happens: the leader may have to act (call
    # 110 on the caller's behalf, call the caller back) before the call has ended.
    what = DIAL_STATUS_LABELS.get(event.dial_status, f"110未接通（{event.dial_status}）")
    then = "请立即回拨" if event.dial_status == "CANCEL" else "正在重试或转接话务员"
    message = f"紧急求助 {ticket.number}：{what}，{then}（来电 {call.caller_number}）"
    _tell_the_hotline_leader(
        session, "emergency_failed", call, ticket, message, dial_status=event.dial_status
    )


def _recording_started(
    session: Session, call: Call, ticket: Ticket, event: ev.RecordingStarted
) -> None:
    call.recording_path = event.path


def _ended(session: Session, call: Call, ticket: Ticket, event: ev.CallEnded) -> None:
    call.ended_at = event.occurred_at
    call.hangup_cause = event.hangup_cause
    call.ivr_fallback = call.ivr_fallback or event.ivr_fallback
    call.recording_path = event.recording_path or call.recording_path
    if event.emergency_failed:
        call.emergency_dial_status = event.emergency_failed
    elif event.dial_status and call.route == "emergency":
        call.emergency_dial_status = event.dial_status
    if event.agent_interface:
        call.agent_interface = event.agent_interface
    if event.hold_seconds is not None and call.hold_seconds is None:
        call.hold_seconds = event.hold_seconds
    if event.talk_seconds is not None and call.talk_seconds is None and event.agent_interface:
        call.talk_seconds = event.talk_seconds
    # Without the IVR's own event (its server was down) the dialplan's route still counts.
    call.route = call.route or event.route
    outcome = outcome_at_end(
        route=call.route,
        dial_status=call.emergency_dial_status,
        agent_answered=bool(call.agent_interface),
        queued=call.queued_at is not None or bool(event.emergency_failed),
    )
    if call.outcome not in FINAL_OUTCOMES or outcome in FINAL_OUTCOMES:
        call.outcome = outcome
    if event.place_kept and call.outcome not in FINAL_OUTCOMES:
        # 虚拟排队: not a caller who gave up; the kept place calls them back.
        call.outcome = CallOutcome.PLACE_KEPT
    if event.voice_message and call.outcome not in FINAL_OUTCOMES:
        call.voice_message = True
        call.outcome = CallOutcome.VOICE_MESSAGE
        ticket.handling_note = ticket.handling_note or VOICE_MESSAGE_NOTE
    if call.outcome == CallOutcome.TRANSFERRED_110:
        _mark_transferred(session, call, ticket, event.occurred_at)
    ticket.callback_needed = needs_callback(CallOutcome(call.outcome), call.caller_number)


def _kept_place_called(
    session: Session, call: Call, ticket: Ticket, event: ev.KeptPlaceCalled
) -> None:
    """The agent who took the kept place rang the caller: answered, the call is answered; not
    answered, it goes on the call-back list like any call nobody answered."""
    if event.dial_status == "ANSWER":
        call.outcome = CallOutcome.ANSWERED
        call.talk_seconds = event.talk_seconds
    elif call.outcome != CallOutcome.BLOCKLISTED:
        call.outcome = CallOutcome.KEPT_PLACE_UNANSWERED
    ticket.callback_needed = needs_callback(CallOutcome(call.outcome), call.caller_number)


def _mark_transferred(session: Session, call: Call, ticket: Ticket, moment: datetime) -> None:
    """Emergency rule: transferred to 110, recorded and archived at once."""
    call.transferred_to_110 = True
    call.outcome = CallOutcome.TRANSFERRED_110
    ticket.call_type = CallType.EMERGENCY
    ticket.callback_needed = False
    ticket.handling_note = "已转110（城市应急指挥中心），已报告热线负责人"
    if ticket.status != TicketStatus.ARCHIVED:
        ticket.status = TicketStatus.ARCHIVED
        ticket.archived_at = moment
        session.flush()
        # The rules' own record of the emergency (ledger, deadlines); no second alert.
        archive_emergency(session, ticket.id, SYSTEM, now=moment)


HANDLERS = {
    ev.CallStarted: _started,
    ev.CallRouted: _routed,
    ev.QueueJoined: _queue_joined,
    ev.AgentRinging: _agent_ringing,
    ev.AgentAnswered: _agent_answered,
    ev.AgentCompleted: _agent_completed,
    ev.QueueAbandoned: _queue_abandoned,
    ev.EmergencyDialStarted: _emergency_dial_started,
    ev.EmergencyDialEnded: _emergency_dial_ended,
    ev.RecordingStarted: _recording_started,
    ev.CallEnded: _ended,
    ev.KeptPlaceCalled: _kept_place_called,
}


def call_of(session: Session, uniqueid: str) -> Call | None:
    """The call with this Asterisk Uniqueid and its ticket, if the CRM has it."""
    return session.scalars(
        select(Call).options(selectinload(Call.ticket)).where(Call.uniqueid == uniqueid)
    ).one_or_none()


def transcription_job(session: Session, uniqueid: str) -> TranscriptionJob | None:
    """The transcription job of a call (one per recorded call), if it was queued."""
    return session.scalars(
        select(TranscriptionJob).where(TranscriptionJob.call_uniqueid == uniqueid)
    ).one_or_none()
