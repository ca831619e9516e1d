"""质检: recordings with filters, the audio with HTTP Range, transcripts with word timings.

Every play of a recording is written to the audit log (once per play: the first byte range);
a report's (举报) recording and transcript only for the hotline leader / assigned reviewer,
every such read audited. Numbers pass ``redact`` like everywhere else.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from callmodel.calltypes import CallType
from callmodel.fields import Code, Day, Id, Key, OptionalCode, OptionalPhone, OptionalTitle
from callmodel.phones import normalize_phone
from crm import audit
from crm.accounts.services import Staff
from crm.callbacks.services import attempts_by_ticket, status_label
from crm.calls.services import transcription_job
from crm.domain.access import OrderVisibility, can_read, read_must_be_audited
from crm.domain.errors import Forbidden, InvalidInput, NotFound
from crm.domain.moments import iso
from crm.domain.redaction import redact
from crm.domain.workcalendar import CHINA_TZ
from crm.http.deps import StaffDep, same_origin
from crm.http.errors import error_responses
from crm.models import Call, CallbackAttempt, Ticket, TranscriptionJob
from crm.orders.services import ticket_visibility
from hotline.recordings import media_type

router = APIRouter(
    prefix="/web/api",
    tags=["web console"],
    dependencies=[Depends(same_origin)],
    responses=error_responses(400, 401, 403, 404, 409, 416, 422, 503),
)
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


def _visibility(session: Session, call: Call) -> OrderVisibility:
    return ticket_visibility(session, call.ticket)


def _day_bounds(
    request: Request, start: date | None, end: date | None
) -> tuple[datetime, datetime]:
    zone = CHINA_TZ
    today = datetime.now(zone).date()
    first = datetime.combine(start or today - timedelta(days=7), time(), zone)
    last = datetime.combine((end or today) + timedelta(days=1), time(), zone)
    return first.astimezone(UTC), last.astimezone(UTC)


@router.get("/recordings")
def recordings(
    request: Request,
    staff: StaffDep,
    date_from: Day | None = None,
    date_to: Day | None = None,
    agent: OptionalCode = None,
    call_type: CallType | None = None,
    number: OptionalPhone = None,
    q: OptionalTitle = None,
) -> list[dict[str, Any]]:
    """Recorded calls, newest first; ``q`` searches the transcripts' text (全文检索)."""
    first, last = _day_bounds(request, date_from, date_to)
    query = (
        select(Call, TranscriptionJob)
        .options(selectinload(Call.ticket))
        .outerjoin(TranscriptionJob, TranscriptionJob.call_uniqueid == Call.uniqueid)
        .where(Call.recording_path.is_not(None), Call.started_at >= first, Call.started_at < last)
        .order_by(Call.started_at.desc())
        .limit(300)
    )
    if agent:
        query = query.where(Call.agent_interface == f"PJSIP/{agent}")
    if number:
        # Any form of the number finds the call (+86 138…, 0471-…); a part of one still does.
        query = query.where(Call.caller_number.contains(normalize_phone(number) or number))
    if call_type:
        query = query.join(Ticket, Ticket.call_id == Call.id).where(Ticket.call_type == call_type)
    if q:
        words = [w for w in q.split() if w]
        query = query.where(*(TranscriptionJob.search_text.contains(w) for w in words))
    out = []
    with request.app.state.sessions() as session:
        found = list(session.execute(query))
        callbacks = _callbacks_of(session, [c.ticket.id for c, _ in found if c.ticket])
        for call, job in found:
            vis = _visibility(session, call)
            if not can_read(staff.viewer, vis):
                continue
            ticket = call.ticket
            out.append(
                {
                    "uniqueid": call.uniqueid,
                    "ticket": ticket.number if ticket else None,
                    "caller_number": call.caller_number,
                    "started_at": iso(call.started_at),
                    "agent": (call.agent_interface or "").split("/", 1)[-1] or None,
                    "queue": call.queue,
                    "call_type": vis.call_type.value if ticket and ticket.call_type else None,
                    "talk_seconds": call.talk_seconds,
                    "outcome": call.outcome,
                    "transcript": job.status if job else None,
                    "callbacks": callbacks.get(ticket.id, []) if ticket else [],
                    "_confidential": vis.call_type is CallType.REPORT,
                    "_reviewer": vis.assigned_reviewer,
                }
            )
    return redact(staff.viewer, out)


def _callbacks_of(session: Session, ticket_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each ticket's call-backs (回拨), oldest first, for the recording they follow."""
    return {
        ticket_id: [
            {
                "id": a.id,
                "started_at": iso(a.started_at),
                "agent": a.agent_extension,
                "status_label": status_label(a.status),
                "talk_seconds": a.talk_seconds,
                "recorded": a.recording_path is not None,
            }
            for a in attempts
        ]
        for ticket_id, attempts in attempts_by_ticket(session, ticket_ids).items()
    }


def _readable_call(session: Session, uniqueid: str, staff: Staff, action: str) -> Call:
    call = session.scalars(
        select(Call).options(selectinload(Call.ticket)).where(Call.uniqueid == uniqueid)
    ).one_or_none()
    if call is None or not call.recording_path:
        raise NotFound("录音", uniqueid)
    vis = _visibility(session, call)
    if not can_read(staff.viewer, vis):
        audit.record(session, staff.username, "read_denied", "recording", uniqueid)
        session.commit()
        raise Forbidden("举报件仅热线负责人和指定审核人员可以查看。")
    if action == "play" or read_must_be_audited(vis):
        audit.record(
            session,
            staff.username,
            f"{action}_recording" if action == "play" else "read_confidential",
            "recording",
            uniqueid,
            ticket=call.ticket.number if call.ticket else None,
        )
        session.commit()
    return call


def _starts_play(request: Request) -> bool:
    """A player asks for the start once per play; seeks ask for later ranges."""
    header = request.headers.get("range")
    return header is None or header.replace(" ", "") in ("bytes=0-", "bytes=0-1")


@router.get("/recordings/{uniqueid}/audio")
def audio(uniqueid: Key, request: Request, staff: StaffDep) -> Response:
    """The mixed recording; answers Range requests so the player can seek."""
    with request.app.state.sessions() as session:
        call = _readable_call(session, uniqueid, staff, "play" if _starts_play(request) else "seek")
        recording = call.recording_path
    assert recording is not None  # _readable_call answers 404 for a call without one
    return _audio_response(request, recording, uniqueid)


@router.get("/callbacks/attempts/{attempt_id}/audio")
def callback_audio(attempt_id: Id, request: Request, staff: StaffDep) -> Response:
    """A call-back's recording, under the same rules as its ticket's call."""
    with request.app.state.sessions() as session:
        attempt = session.get(CallbackAttempt, attempt_id)
        if attempt is None or not attempt.recording_path:
            raise NotFound("回拨录音", attempt_id)
        ticket = session.get(Ticket, attempt.ticket_id)
        vis = ticket_visibility(session, ticket)
        if not can_read(staff.viewer, vis):
            audit.record(session, staff.username, "read_denied", "callback", attempt_id)
            session.commit()
            raise Forbidden("举报件仅热线负责人和指定审核人员可以查看。")
        if _starts_play(request):
            audit.record(
                session,
                staff.username,
                "play_recording",
                "callback",
                attempt_id,
                ticket=ticket.number if ticket else None,
            )
            session.commit()
        recording = attempt.recording_path
    return _audio_response(request, recording, f"callback-{attempt_id}")


def _audio_response(request: Request, recording: str, name: str) -> Response:
    """A recording (WAV, or Opus once transcribed) from the recordings folder, whole or the
    byte range asked for."""
    settings = request.app.state.settings
    folder = settings.in_chroot(settings.recordings_dir).resolve()
    path: Path = settings.in_chroot("/" + recording.lstrip("/")).resolve()
    # Only recordings are served, whatever a row says.
    if not path.is_relative_to(folder) or not path.is_file():
        raise NotFound("录音文件", name)
    header = request.headers.get("range")
    size = path.stat().st_size
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, no-store"}
    start, end, status = 0, size - 1, 200
    match = _RANGE.match(header.strip()) if header else None
    if header and match:
        first, last = match.groups()
        if first:
            start, end = int(first), int(last) if last else size - 1
        elif last:
            start, end = max(size - int(last), 0), size - 1
        end = min(end, size - 1)
        if start > end or start >= size:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)

    def body():  # type: ignore[no-untyped-def]
        with path.open("rb") as handle:
            handle.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = handle.read(min(CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk

    return StreamingResponse(
        body(), status_code=status, media_type=media_type(path), headers=headers
    )


@router.get("/recordings/{uniqueid}/transcript")
def transcript(uniqueid: Key, request: Request, staff: StaffDep) -> dict[str, Any]:
    with request.app.state.sessions() as session:
        _readable_call(session, uniqueid, staff, "transcript")
        job = transcription_job(session, uniqueid)
        if job is None:
            return {"status": None, "lines": []}
        data = job.transcript()
        return {
            "status": job.status,
            "error": job.last_error,
            "lines": data.to_dict()["lines"] if data else [],
        }


@router.post("/listen/{extension}")
async def listen(extension: Code, request: Request, staff: StaffDep) -> dict[str, Any]:
    """Live listening (监听): Asterisk rings the supervisor's phone and ChanSpy's the agent's call.

    Quiet (``q``), listen only, and it ends when the agent's channel goes (``E``).
    """
    settings = request.app.state.settings
    if extension not in {a.extension for a in settings.agents}:
        raise NotFound("坐席分机", extension)
    if not staff.extension:
        raise InvalidInput("您的账号未绑定话机分机，无法监听")
    with request.app.state.sessions() as session:
        audit.record(session, staff.username, "listen", "agent", extension)
        session.commit()
    await request.app.state.agents.ami.action(
        {
            "Action": "Originate",
            "Channel": f"PJSIP/{staff.extension}",
            "Application": "ChanSpy",
            "Data": f"PJSIP/{extension}-,qE",
            "CallerID": f"监听 <{extension}>",
            "Async": "true",
        }
    )
    return {"ok": True, "extension": extension}
