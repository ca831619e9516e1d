"""HTTP routes of the call path: event ingestion (for the FastAGI server) and call look-ups.

Only the FastAGI server's service token posts call events (the access policy,
crm/http/policy.py); the look-ups are for staff, signed in or with a personal API token.

A report's (举报) call is confidential like its order (crm.orders.visibility, the one rule):
lists and search leave out what the viewer may not read; one call or its transcript is refused
(403) to them, and each allowed read of a report's detail is written to the audit log.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from asr.classifier import CallClassifier
from callmodel.events import CallEvent
from callmodel.fields import Key, Limit, OptionalPhone, SearchText
from callmodel.phones import caller_facts, normalize_phone
from crm import audit
from crm.callbacks.services import still_to_call_back
from crm.calls.services import call_of, transcription_job
from crm.domain.access import Viewer, can_read, read_must_be_audited
from crm.domain.call_outcomes import CallOutcome
from crm.http.deps import SessionDep, UserDep
from crm.http.errors import API_ERRORS
from crm.models import Call, Ticket, TranscriptionJob
from crm.orders.services import (
    ReadRefused,
    check_read,
    keep_refusal,
    may_read,
    ticket_visibility,
)
from crm.transcription import model_missing

router = APIRouter(tags=["calls"], responses=API_ERRORS)


class EventBatch(BaseModel):
    events: list[CallEvent] = Field(min_length=1, max_length=500)


class AppliedEvent(BaseModel):
    event_id: str
    ticket: str


@router.post("/api/call-events", response_model=list[AppliedEvent])
async def post_call_events(batch: EventBatch, request: Request) -> list[AppliedEvent]:
    """Apply events in order; an event already applied is acknowledged again, not repeated."""
    state = request.app.state
    applied = []
    for event in batch.events:
        ticket = await state.apply(event)
        applied.append(AppliedEvent(event_id=event.event_id, ticket=ticket.number))
    return applied


def call_view(call: Call) -> dict[str, Any]:
    ticket = call.ticket
    return {
        "uniqueid": call.uniqueid,
        "caller_number": call.caller_number,
        **caller_facts(call.caller_number),
        "started_at": call.started_at,
        "ended_at": call.ended_at,
        "ivr_path": call.ivr_path,
        "ivr_choice": call.ivr_choice,
        "ivr_fallback": call.ivr_fallback,
        "route": call.route,
        "route_reason": call.route_reason,
        "urgent_words": call.urgent_words,
        "queue": call.queue,
        "agent_interface": call.agent_interface,
        "agent_called_at": call.agent_called_at,
        "hold_seconds": call.hold_seconds,
        "ring_seconds": call.ring_seconds,
        "talk_seconds": call.talk_seconds,
        "hangup_cause": call.hangup_cause,
        "outcome": call.outcome,
        "outcome_label": CallOutcome(call.outcome).label,
        "transferred_to_110": call.transferred_to_110,
        "emergency_dial_status": call.emergency_dial_status,
        "recording_path": call.recording_path,
        "voice_message": call.voice_message,
        "recording_failed": call.recording_failed,
        "ticket": ticket_view(ticket) if ticket else None,
    }


def ticket_view(ticket: Ticket) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "caller_number": ticket.caller_number,
        "created_at": ticket.created_at,
        "call_type": ticket.call_type,
        "call_type_label": ticket.call_type.label if ticket.call_type else None,
        "status": ticket.status,
        "status_label": ticket.status.label,
        "callback_needed": ticket.callback_needed,
        "handling_note": ticket.handling_note,
        "archived_at": ticket.archived_at,
        "previous_ticket": ticket.previous_ticket.number if ticket.previous_ticket else None,
    }


def _for(viewer: Any, payload: Any) -> Any:
    """Numbers masked for roles that must not see them (one function: crm.domain.redaction)."""
    from crm.domain.redaction import redact  # the consoles import this module

    return redact(viewer, payload)


@router.get("/api/calls")
def list_calls(
    viewer: UserDep,
    session: SessionDep,
    caller: OptionalPhone = None,
    limit: Limit = 50,
) -> list[dict[str, Any]]:
    """The latest calls (of one number with ``caller``), without the reports the viewer may not
    read: not even their existence is told, so a number cannot be tested for a report."""
    query = select(Call).options(selectinload(Call.ticket)).order_by(Call.id.desc())
    if caller:
        query = query.where(Call.caller_number == (normalize_phone(caller) or caller))
    wanted = min(max(limit, 1), 500)
    calls: list[Call] = []
    # Read in pages until enough readable calls are found (reports left out do not count).
    for page in range(0, 20 * wanted, wanted):
        found = list(session.scalars(query.offset(page).limit(wanted)))
        calls += [c for c in found if may_read(session, c.ticket, viewer)]
        if len(found) < wanted or len(calls) >= wanted:
            break
    return _for(viewer, [call_view(c) for c in calls[:wanted]])


def read_call(session: Session, call: Call, viewer: Viewer, surface: str) -> None:
    """Refuse a report's call to whoever may not read the report; audit each read of one. The
    audit entry is committed either way (the refusal is kept too)."""
    try:
        check_read(session, call.ticket, viewer, call=call.uniqueid, surface=surface)
    except ReadRefused as refused:
        keep_refusal(session, refused)
        raise
    session.commit()


@router.get("/api/calls/{uniqueid}")
def get_call(uniqueid: Key, viewer: UserDep, session: SessionDep) -> dict[str, Any]:
    """One call and its ticket; a report's only for its readers (audited)."""
    call = session.scalars(select(Call).where(Call.uniqueid == uniqueid)).one_or_none()
    if call is None:
        raise HTTPException(status_code=404, detail=f"没有这通电话：{uniqueid}")
    read_call(session, call, viewer, "call")
    return _for(viewer, call_view(call))


@router.get("/api/callbacks")
def list_callbacks(viewer: UserDep, session: SessionDep) -> list[dict[str, Any]]:
    """未接来电回拨: callers who gave up before a person answered, oldest first."""
    owed = still_to_call_back(session, limit=None)
    return _for(
        viewer,
        [
            {**ticket_view(o.ticket), "missed_calls": o.missed_calls}
            for o in owed
            if may_read(session, o.ticket, viewer)
        ],
    )


@router.get("/api/calls/{uniqueid}/transcript")
def get_transcript(
    uniqueid: Key,
    request: Request,
    viewer: UserDep,
    session: SessionDep,
) -> dict[str, Any]:
    """The call's transcription job and, once done, both legs labelled 来电人 / 话务员; a
    report's only for its readers (audited)."""
    call = call_of(session, uniqueid)
    if call is not None:
        read_call(session, call, viewer, "transcript")
    job = transcription_job(session, uniqueid)
    if job is None:
        if call is not None and call.recording_failed:
            raise HTTPException(status_code=404, detail="这通电话的录音未能保存，无法转写")
        raise HTTPException(status_code=404, detail=f"这通电话没有转写任务：{uniqueid}")
    transcript = job.transcript()
    suggestion = None
    if transcript is not None:
        settings = request.app.state.settings.asr
        found = classifier(settings.classifier_file, settings.urgent_keywords_file)
        result = found.classify_transcript(transcript)
        suggestion = {
            "call_type": result.call_type,
            "call_type_label": result.call_type.label if result.call_type else None,
            "trigger_words": list(result.reason),
            "special_line": result.special_line.number if result.special_line else None,
            "explanation": result.explanation(),
        }
    status, error = job.status, job.last_error
    if status == "queued":
        missing = model_missing(session)
        if missing:  # it would wait for ever: say why, and what to run
            status, error = "no_model", missing
    return {
        "status": status,
        "attempts": job.attempts,
        "error": error,
        "text": job.transcript_text,
        "transcript": transcript.to_dict() if transcript else None,
        # A suggestion only: the agent decides the type (rule-based, shows its trigger words).
        "suggestion": suggestion,
    }


@router.get("/api/transcripts")
def search_transcripts(
    q: SearchText, request: Request, viewer: UserDep, session: SessionDep
) -> list[dict[str, Any]]:
    """Calls whose transcript contains ``q`` (Chinese, spaces ignored), newest first. Reports
    the viewer may not read are left out; a search that shows reports to their readers is
    written to the audit log once, naming them."""
    if not q.strip():
        raise HTTPException(status_code=422, detail="请输入要搜索的词")
    queue = request.app.state.transcriptions
    ids = queue.search(q)[-200:]
    rows = session.execute(
        select(TranscriptionJob, Call)
        .outerjoin(Call, Call.uniqueid == TranscriptionJob.call_uniqueid)
        .options(selectinload(Call.ticket))
        .where(TranscriptionJob.id.in_(ids))
        .order_by(TranscriptionJob.id.desc())
    )
    out, reports = [], []
    for job, call in rows:
        ticket = _ticket_of(session, job, call)
        vis = ticket_visibility(session, ticket)
        if not can_read(viewer, vis):
            continue
        if ticket is not None and read_must_be_audited(vis):
            reports.append(ticket.number)
        out.append(
            {"uniqueid": job.call_uniqueid, "ticket": job.ticket_ref, "text": job.transcript_text}
        )
    if reports:
        audit.record(
            session, viewer.username, "search_confidential", "transcripts", None, tickets=reports
        )
        session.commit()
    return out


def _ticket_of(session: Session, job: TranscriptionJob, call: Call | None) -> Ticket | None:
    """The ticket a transcript belongs to: its call's, else the one its job names."""
    if call is not None and call.ticket is not None:
        return call.ticket
    if not job.ticket_ref:
        return None
    return session.scalars(select(Ticket).where(Ticket.number == job.ticket_ref)).first()


@lru_cache(maxsize=4)
def classifier(classifier_file: Path, urgent_file: Path) -> CallClassifier:
    return CallClassifier.from_files(classifier_file, urgent_file)
