"""Transcription jobs as database rows, and the worker loop that runs them.

A job is a row, not a message in process memory: a restart loses none, several worker
processes (or CRM nodes) share one table, and a failure's error stays visible beside the job.

Claiming is a compare-and-set UPDATE (``WHERE id = … AND status = … AND attempts = …``), which
is atomic on SQLite and PostgreSQL alike, so two workers never run the same job. A claim is a
lease: a worker that dies holding a job simply lets the lease expire and another worker takes the
job over (counting it as an attempt, so a recording that crashes the decoder ends as failed
instead of looping forever).

The models are a mixin bound to whatever DeclarativeBase the application uses
(``make_job_model(Base)``); this module never creates tables or owns a Base of its own.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

from sqlalchemy import DateTime, Integer, String, Text, and_, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from asr.engine import SpeechEngine
from asr.keywords import normalise
from asr.transcript import Transcript, transcribe_recording

log = logging.getLogger(__name__)

DEFAULT_TABLE = "asr_transcription_jobs"
MAX_ERROR_CHARS = 4000


def utcnow() -> datetime:
    """Naive UTC: SQLite drops time zones, so every timestamp here is stored as naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return JOB_STATUS_LABELS[self]


JOB_STATUS_LABELS: dict[JobStatus, str] = {
    JobStatus.QUEUED: "排队中",
    JobStatus.RUNNING: "转写中",
    JobStatus.DONE: "已转写",
    JobStatus.FAILED: "转写失败",
}


class TranscriptionJobMixin:
    """Columns of a transcription job; mix into the application's Base with a table name."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Asterisk's Uniqueid of the recorded channel; links the job to the call and its ticket.
    call_uniqueid: Mapped[str] = mapped_column(String(64), index=True)
    # The mix path as the host sees it; legs are found beside it (-in / -out).
    recording_path: Mapped[str] = mapped_column(String(1024))
    ticket_ref: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    status: Mapped[str] = mapped_column(String(16), index=True, default=JobStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # Not before this time: a failed attempt is retried after a back-off, not at once.
    available_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    decode_seconds: Mapped[float | None] = mapped_column(default=None)
    transcript_json: Mapped[str | None] = mapped_column(Text, default=None)
    # "[00:01.2] 来电人：……" lines for the ticket page.
    transcript_text: Mapped[str | None] = mapped_column(Text, default=None)
    # The same without Vosk's word spaces, for Chinese substring search (LIKE '%着火%').
    search_text: Mapped[str | None] = mapped_column(Text, default=None)

    def transcript(self) -> Transcript | None:
        if self.transcript_json is None:
            return None
        return Transcript.from_dict(json.loads(self.transcript_json))


def make_job_model(
    base: type[DeclarativeBase], tablename: str = DEFAULT_TABLE
) -> type[TranscriptionJobMixin]:
    """The mapped job class on ``base``; call once per Base (the CRM binds it to its own)."""
    cls = type("TranscriptionJob", (TranscriptionJobMixin, base), {"__tablename__": tablename})
    return cast(type[TranscriptionJobMixin], cls)


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """What a worker needs to run one job (a plain copy: no session outlives the claim)."""

    id: int
    recording_path: str
    call_uniqueid: str
    attempt: int


class JobQueue:
    """Enqueue, claim, complete and fail jobs; every call runs in its own short transaction."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        model: type[TranscriptionJobMixin],
        *,
        lease_seconds: float = 900.0,
        retry_delay_seconds: float = 30.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.model = model
        self.lease = timedelta(seconds=lease_seconds)
        self.retry_delay = timedelta(seconds=retry_delay_seconds)
        self.clock = clock

    def enqueue(
        self,
        recording: Path | str,
        *,
        call_uniqueid: str | None = None,
        ticket_ref: str | None = None,
        max_attempts: int = 3,
    ) -> int:
        """Add a job for a recording's mix path; returns its id. Call after hangup."""
        path = Path(recording)
        now = self.clock()
        job = self.model()
        job.call_uniqueid = call_uniqueid or path.stem
        job.recording_path = str(path)
        job.ticket_ref = ticket_ref
        job.status = JobStatus.QUEUED.value
        job.attempts = 0
        job.max_attempts = max_attempts
        job.available_at = now
        job.created_at = now
        with self.sessions.begin() as session:
            session.add(job)
            session.flush()
            return job.id

    def claim(self, worker_id: str) -> ClaimedJob | None:
        """Take the oldest runnable job: queued and due, or running with an expired lease."""
        m = self.model
        now = self.clock()
        runnable = or_(
            and_(m.status == JobStatus.QUEUED.value, m.available_at <= now),
            and_(m.status == JobStatus.RUNNING.value, m.lease_until < now),
        )
        with self.sessions.begin() as session:
            rows = session.execute(
                select(m.id, m.status, m.attempts, m.max_attempts)
                .where(runnable)
                .order_by(m.id)
                .limit(10)
            ).all()
            for job_id, status, attempts, max_attempts in rows:
                seen = and_(m.id == job_id, m.status == status, m.attempts == attempts)
                if attempts >= max_attempts:
                    # Its last holder died mid-attempt: nothing left to retry.
                    self._set(
                        session,
                        seen,
                        status=JobStatus.FAILED.value,
                        finished_at=now,
                        lease_until=None,
                        last_error=f"worker lost after {attempts} attempt(s) (lease expired)",
                    )
                    continue
                taken_over = (
                    {"last_error": f"attempt {attempts} lost: its worker stopped (lease expired)"}
                    if status == JobStatus.RUNNING.value
                    else {}
                )
                if self._set(
                    session,
                    seen,
                    status=JobStatus.RUNNING.value,
                    attempts=attempts + 1,
                    claimed_by=worker_id,
                    lease_until=now + self.lease,
                    **taken_over,
                ):
                    job = session.get_one(m, job_id)
                    return ClaimedJob(job.id, job.recording_path, job.call_uniqueid, job.attempts)
        return None

    def complete(self, job_id: int, worker_id: str, transcript: Transcript) -> bool:
        """Store the transcript; False if this worker no longer holds the job (lease lost)."""
        with self.sessions.begin() as session:
            return self._set(
                session,
                self._held(job_id, worker_id),
                status=JobStatus.DONE.value,
                finished_at=self.clock(),
                lease_until=None,
                decode_seconds=transcript.decode_seconds,
                transcript_json=json.dumps(transcript.to_dict(), ensure_ascii=False),
                transcript_text=transcript.as_text(),
                search_text=transcript.search_text(),
            )

    def fail(self, job_id: int, worker_id: str, error: str) -> JobStatus | None:
        """Record the error; requeue with a back-off, or fail for good at the attempt limit."""
        now = self.clock()
        with self.sessions.begin() as session:
            job = session.get(self.model, job_id)
            if job is None or job.claimed_by != worker_id or job.status != JobStatus.RUNNING:
                return None
            final = job.attempts >= job.max_attempts
            status = JobStatus.FAILED if final else JobStatus.QUEUED
            self._set(
                session,
                self._held(job_id, worker_id),
                status=status.value,
                last_error=error[-MAX_ERROR_CHARS:],
                lease_until=None,
                available_at=now + self.retry_delay * job.attempts,
                finished_at=now if final else None,
            )
            return status

    def retry(self, job_id: int) -> None:
        """Put a failed job back in the queue with a fresh attempt budget (an admin action)."""
        with self.sessions.begin() as session:
            self._set(
                session,
                self.model.id == job_id,
                status=JobStatus.QUEUED.value,
                attempts=0,
                available_at=self.clock(),
                finished_at=None,
            )

    def get(self, job_id: int) -> dict[str, Any]:
        """The job's columns as plain data (for pages and tests)."""
        with self.sessions() as session:
            job = session.get_one(self.model, job_id)
            return {c: getattr(job, c) for c in _COLUMNS}

    def search(self, phrase: str) -> list[int]:
        """Ids of done jobs whose transcript contains ``phrase`` (spaces ignored)."""
        m = self.model
        needle = normalise(phrase).replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(m.id)
                    .where(m.search_text.like(f"%{needle}%", escape="\\"))
                    .order_by(m.id)
                )
            )

    def _held(self, job_id: int, worker_id: str) -> Any:
        m = self.model
        return and_(m.id == job_id, m.claimed_by == worker_id, m.status == JobStatus.RUNNING.value)

    def _set(self, session: Session, where: Any, **values: Any) -> bool:
        result = session.execute(update(self.model).where(where).values(**values))
        return cast(CursorResult[Any], result).rowcount == 1


_COLUMNS = [name for name in TranscriptionJobMixin.__annotations__ if not name.startswith("_")]


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class JobWorker:
    """Claims jobs one at a time and runs ``transcribe`` on the recording path.

    Any exception from ``transcribe`` becomes the job's error; the loop itself never dies of a
    bad recording. ``after`` runs once a job's transcript is stored (the CRM compresses the
    recording then); its failure is logged and leaves the job done.
    """

    def __init__(
        self,
        queue: JobQueue,
        transcribe: Callable[[Path], Transcript],
        *,
        worker_id: str | None = None,
        poll_seconds: float = 2.0,
        after: Callable[[ClaimedJob], None] | None = None,
    ) -> None:
        self.queue = queue
        self.transcribe = transcribe
        self.worker_id = worker_id or default_worker_id()
        self.poll_seconds = poll_seconds
        self.after = after

    def run_once(self) -> bool:
        """Run one job if there is one; True if a job was taken."""
        job = self.queue.claim(self.worker_id)
        if job is None:
            return False
        try:
            transcript = self.transcribe(Path(job.recording_path))
        except Exception as exc:  # noqa: BLE001 - every failure is stored on the job
            log.warning("transcription job %s attempt %s failed: %s", job.id, job.attempt, exc)
            self.queue.fail(job.id, self.worker_id, f"{type(exc).__name__}: {exc}")
            return True
        if not self.queue.complete(job.id, self.worker_id, transcript):
            log.warning("transcription job %s was taken over; result dropped", job.id)
        elif self.after is not None:
            try:
                self.after(job)
            except Exception:
                log.exception("transcription job %s: the step after it failed", job.id)
        return True

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            if not self.run_once():
                stop.wait(self.poll_seconds)


def start_job_workers(
    queue: JobQueue,
    engine: SpeechEngine,
    count: int,
    stop: threading.Event,
    *,
    chunk_seconds: float = 0.25,
    poll_seconds: float = 2.0,
) -> list[threading.Thread]:
    """``count`` daemon threads (one recognizer each, so size it to the cores) sharing ``engine``.

    Each thread decodes a job's two legs one after the other: with one thread per core every
    core stays busy even when one leg is much longer than the other.
    """
    threads = []
    for n in range(max(1, count)):
        worker = JobWorker(
            queue,
            lambda path: transcribe_recording(engine, path, chunk_seconds=chunk_seconds),
            worker_id=f"{default_worker_id()}#{n}",
            poll_seconds=poll_seconds,
        )
        thread = threading.Thread(
            target=worker.run_forever, args=(stop,), name=f"asr-job-{n}", daemon=True
        )
        thread.start()
        threads.append(thread)
    return threads
