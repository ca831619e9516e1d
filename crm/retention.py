"""The daily retention purge (PIPL): what is past its period is deleted, and the run audited.

``hotline purge`` (a systemd timer, or the supervised daily run) calls ``purge``. Per kind of
data, with the periods of ``settings.retention``:

* recordings: the mix and both legs of a call (WAV or Opus) and of its call-backs, and the
  IVR's utterance of the call; the call keeps ``recording_purged_at`` instead of a path;
* transcripts: the transcription job and its text;
* CDR: the rows of Asterisk's ``Master.csv``;
* numbers: the full caller number on the call, its ticket and call-backs, the contact number
  on the order, the order's link to the caller register (and a register entry no order uses);
  they become masked (138****1234);
* logs: rotated log files (``*.log.1``, ``*.log.2.gz`` …) of the services and of Asterisk.

Whatever its age, nothing is touched that belongs to a ticket ``crm.domain.retention.held``
keeps: an open order, a 举报 under review, a call-back still owed. Every run writes one audit
row with the counts (and how many were held), so the deletion itself is on record.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from callmodel.calltypes import CallType, TicketStatus
from callmodel.phones import mask_phone
from crm import audit
from crm.domain.retention import TicketFacts, cutoff, held
from crm.models import Call, CallbackAttempt, Ticket, TranscriptionJob
from crm.models.workorders import Caller, TicketDetail
from hotline.recordings import recording_files
from hotline.settings import Settings

ACTOR = "system:retention"
# Columns of cdr_csv's Master.csv (loguniqueid=yes): the call's start and its Uniqueid.
CDR_START, CDR_UNIQUEID = 9, 16
CDR_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass
class PurgeReport:
    """What one run deleted, per kind, and what it kept because a duty is still owed."""

    recordings_deleted: int = 0
    recording_files_deleted: int = 0
    utterances_deleted: int = 0
    transcripts_deleted: int = 0
    cdr_rows_deleted: int = 0
    numbers_masked: int = 0
    callers_deleted: int = 0
    log_files_deleted: int = 0
    held: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, Any]:
        return asdict(self)


def _facts(ticket: Ticket | None, detail: TicketDetail | None) -> TicketFacts | None:
    if ticket is None:
        return None
    detail_type = CallType(detail.call_type) if detail is not None else None
    return TicketFacts(
        status=TicketStatus(ticket.status),
        call_type=ticket.call_type or detail_type,
        confidential=bool(detail is not None and detail.confidential),
        callback_owed=bool(ticket.callback_needed and ticket.callback_done_at is None),
    )


class _Holds:
    """The held-or-not answer per call, asked once per run and counted by reason."""

    def __init__(self, session: Session, report: PurgeReport) -> None:
        self.session = session
        self.report = report
        self.known: dict[int, str | None] = {}

    def reason(self, call: Call) -> str | None:
        if call.id not in self.known:
            ticket = call.ticket
            detail = self.session.get(TicketDetail, ticket.id) if ticket is not None else None
            why = held(_facts(ticket, detail))
            self.known[call.id] = why
            if why is not None:
                self.report.held[why] = self.report.held.get(why, 0) + 1
        return self.known[call.id]


def _calls_before(session: Session, moment: datetime) -> list[Call]:
    return list(
        session.scalars(
            select(Call).options(selectinload(Call.ticket)).where(Call.started_at < moment)
        )
    )


def _delete_files(paths: Iterable[Path]) -> int:
    count = 0
    for path in paths:
        try:
            path.unlink()
            count += 1
        except FileNotFoundError:
            pass
    return count


def _purge_recordings(
    session: Session, settings: Settings, holds: _Holds, now: datetime, report: PurgeReport
) -> None:
    for call in _calls_before(session, cutoff(now, settings.retention.recordings_days)):
        if holds.reason(call) is not None:
            continue
        paths: list[Path] = []
        if call.recording_path:
            paths += recording_files(settings.state_path(call.recording_path))
        if call.ticket is not None:
            for attempt in session.scalars(
                select(CallbackAttempt).where(
                    CallbackAttempt.ticket_id == call.ticket.id,
                    CallbackAttempt.recording_path.is_not(None),
                )
            ):
                paths += recording_files(settings.state_path(attempt.recording_path or ""))
                attempt.recording_path = None
        utterance = settings.state_path(settings.utterances_dir / f"{call.uniqueid}.wav")
        report.utterances_deleted += _delete_files([utterance])
        report.recording_files_deleted += _delete_files(paths)
        if call.recording_path:
            call.recording_path = None
            call.recording_purged_at = now
            report.recordings_deleted += 1


def _purge_transcripts(
    session: Session, settings: Settings, holds: _Holds, now: datetime, report: PurgeReport
) -> None:
    for call in _calls_before(session, cutoff(now, settings.retention.transcripts_days)):
        if holds.reason(call) is not None:
            continue
        done = session.execute(
            delete(TranscriptionJob).where(TranscriptionJob.call_uniqueid == call.uniqueid)
        )
        report.transcripts_deleted += done.rowcount or 0  # type: ignore[attr-defined]


def _mask(number: str | None) -> str | None:
    if number is None or "*" in number:
        return number
    return mask_phone(number)


def _purge_numbers(
    session: Session, settings: Settings, holds: _Holds, now: datetime, report: PurgeReport
) -> None:
    moment = cutoff(now, settings.retention.numbers_days)
    for call in _calls_before(session, moment):
        if holds.reason(call) is not None or "*" in call.caller_number:
            continue
        call.caller_number = _mask(call.caller_number) or ""
        report.numbers_masked += 1
        ticket = call.ticket
        if ticket is None:
            continue
        ticket.caller_number = _mask(ticket.caller_number) or ""
        for attempt in session.scalars(
            select(CallbackAttempt).where(CallbackAttempt.ticket_id == ticket.id)
        ):
            attempt.number = _mask(attempt.number) or ""
        detail = session.get(TicketDetail, ticket.id)
        if detail is not None:
            detail.contact_number = _mask(detail.contact_number)
            detail.caller_id = None
    session.flush()
    in_use = select(TicketDetail.caller_id).where(TicketDetail.caller_id.is_not(None))
    gone = session.execute(
        delete(Caller).where(Caller.id.not_in(in_use), Caller.created_at < moment)
    )
    report.callers_deleted += gone.rowcount or 0  # type: ignore[attr-defined]


def _held_uniqueids(session: Session, holds: _Holds, moment: datetime) -> set[str]:
    return {call.uniqueid for call in _calls_before(session, moment) if holds.reason(call)}


def _asterisk_zone(settings: Settings) -> tzinfo | None:
    """The time zone Asterisk writes CDR times in (cdr.conf: usegmtime = no): its root's
    ``/etc/localtime``; None (this machine's own) when that names no zone."""
    link = settings.asterisk_root / "etc" / "localtime"
    try:
        target = os.readlink(link)
    except OSError:
        return None
    _, found, name = target.partition("zoneinfo/")
    try:
        return ZoneInfo(name) if found else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _purge_cdr(
    session: Session, settings: Settings, holds: _Holds, now: datetime, report: PurgeReport
) -> None:
    """Rewrite Master.csv without its old rows. Asterisk appends a row per call (opening the
    file each time): the new file replaces the old one atomically, and rows appended while it
    was written are carried over before the swap."""
    master = settings.cdr_file
    if not master.is_file():
        return
    moment = cutoff(now, settings.retention.cdr_days)
    keep_ids = _held_uniqueids(session, holds, moment)
    local_moment = moment.astimezone(_asterisk_zone(settings)).replace(tzinfo=None)
    with master.open("rb") as handle:
        data = handle.read()
    kept, dropped = [], 0
    for line in data.decode("utf-8", errors="surrogateescape").splitlines(keepends=True):
        row = next(csv.reader(io.StringIO(line)), [])
        try:
            started = datetime.strptime(row[CDR_START], CDR_TIME_FORMAT)
        except (IndexError, ValueError):
            kept.append(line)  # not a record we understand: never ours to delete
            continue
        if started < local_moment and (
            len(row) <= CDR_UNIQUEID or row[CDR_UNIQUEID] not in keep_ids
        ):
            dropped += 1
        else:
            kept.append(line)
    if not dropped:
        return
    stat = master.stat()
    tmp = master.with_name(f".{master.name}.purge")
    with tmp.open("wb") as out:
        out.write("".join(kept).encode("utf-8", errors="surrogateescape"))
        with master.open("rb") as current:
            current.seek(len(data))
            out.write(current.read())  # rows Asterisk appended meanwhile
    if os.geteuid() == 0:
        os.chown(tmp, stat.st_uid, stat.st_gid)
    tmp.chmod(stat.st_mode & 0o777)
    os.replace(tmp, master)
    report.cdr_rows_deleted += dropped


def _rotated_logs(settings: Settings) -> list[Path]:
    """Rotated logs only (``name.log.N``, ``name.log.N.gz``, ``name.log-DATE``): a live log is
    rotated first, by logrotate or supervisord."""
    folders = [settings.var_dir / "log", settings.asterisk_state_dir / "log"]
    found = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            name = path.name
            if (
                path.is_file()
                and not path.is_symlink()
                and ".log" in name
                and not name.endswith(".log")
            ):
                found.append(path)
    return found


def _purge_logs(settings: Settings, now: datetime, report: PurgeReport) -> None:
    moment = cutoff(now, settings.retention.logs_days).timestamp()
    old = [path for path in _rotated_logs(settings) if path.stat().st_mtime < moment]
    report.log_files_deleted += _delete_files(old)


def purge(
    sessions: sessionmaker[Session], settings: Settings, now: datetime | None = None
) -> PurgeReport:
    """Delete what is past its period (one transaction for the rows; files go before the rows
    that name them are committed, so a crash leaves rows to a file that is gone, never a file
    no row names), then audit the run."""
    now = now or datetime.now(UTC)
    report = PurgeReport()
    with sessions() as session, session.begin():
        holds = _Holds(session, report)
        _purge_recordings(session, settings, holds, now, report)
        _purge_transcripts(session, settings, holds, now, report)
        _purge_cdr(session, settings, holds, now, report)
        _purge_numbers(session, settings, holds, now, report)
        _purge_logs(settings, now, report)
        audit.record(
            session,
            ACTOR,
            "retention_purge",
            "retention",
            None,
            periods=settings.retention.model_dump(),
            **report.counts(),
        )
    return report
