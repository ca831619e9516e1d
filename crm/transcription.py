"""Every recorded call is transcribed: a job is queued at hangup, speech workers run it.

Jobs are rows (``crm.models.TranscriptionJob``, logic in ``asr/jobs.py``): a restart loses none,
a failure is retried up to the configured limit and its error kept beside the job. The workers
run as their own process (``python -m crm.transcription``, started by ``hotline start``), load
the configured model once and share it between one recognizer thread per core.

What goes wrong is said where people look, not only in a log: a call whose recording Asterisk
could not write is marked on its ticket, gets no job, and raises an alert for the supervisors'
wallboard; a transcriber without a speech model raises one alert (cleared once the model loads),
and the API then answers ``no_model`` with the command that installs one. The process serves its
metrics and health on ``transcriber_metrics_port`` (hotline/observability.py).

Once a call is transcribed its WAV files are only listened to: the worker re-encodes them as
Opus (``hotline/recordings.py``, about a tenth of the size) and points the call at the new mix.
A conversion that fails leaves the WAV and the path as they were.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from asr.engine import ModelMissingError
from asr.jobs import ClaimedJob, JobQueue, JobWorker, default_worker_id
from asr.transcript import Transcript, transcribe_recording
from crm import db
from crm.domain.access import Role
from crm.models import Alert, Call, TranscriptionJob
from hotline import logs, recordings
from hotline.observability import serve_metrics
from hotline.settings import Settings, load_settings

log = logging.getLogger("crm.transcription")

MODEL_RETRY_SECONDS = 30.0
# Alerts for the supervisors (质检): their wallboard lists them.
ALERT_AUDIENCE = Role.SUPERVISOR.value
MODEL_MISSING = "speech_model_missing"
RECORDING_MISSING = "recording_missing"


def job_queue(sessions: sessionmaker[Session], settings: Settings) -> JobQueue:
    return JobQueue(
        sessions,
        TranscriptionJob,
        lease_seconds=settings.asr.job_lease_seconds,
    )


def queue_call_transcription(
    sessions: sessionmaker[Session], queue: JobQueue, settings: Settings, uniqueid: str
) -> int | None:
    """Queue the call's recording once it has ended; returns the job id, None if not (yet).

    A recording that is not on disk is no job: the call is marked and the supervisors alerted
    (MixMonitor could not write it: a full disk, a folder it may not write)."""
    with sessions() as session, session.begin():
        call = session.scalars(select(Call).where(Call.uniqueid == uniqueid)).one_or_none()
        if call is None or call.ended_at is None or not call.recording_path:
            return None
        ticket = call.ticket
        if not settings.in_chroot(call.recording_path).is_file():
            if not call.recording_failed:
                call.recording_failed = True
                raise_once(
                    session,
                    RECORDING_MISSING,
                    f"工单 {ticket.number if ticket else uniqueid} 的通话录音未能保存，"
                    "请检查录音目录的磁盘空间和权限",
                    ticket_id=ticket.id if ticket else None,
                )
            return None
        ticket_ref = ticket.number if ticket else None
        recording = call.recording_path
    try:
        return queue.enqueue(
            recording,
            call_uniqueid=uniqueid,
            ticket_ref=ticket_ref,
            max_attempts=settings.asr.job_max_attempts,
        )
    except IntegrityError:
        return None  # the other producer's end-of-call event queued it already


def raise_once(session: Session, kind: str, message: str, *, ticket_id: int | None = None) -> None:
    """One open alert of ``kind`` (per ticket): raising it again changes nothing."""
    same_ticket = Alert.ticket_id.is_(None) if ticket_id is None else Alert.ticket_id == ticket_id
    open_one = session.scalar(
        select(Alert.id).where(Alert.kind == kind, same_ticket, Alert.acknowledged_at.is_(None))
    )
    if open_one is None:
        session.add(Alert(kind=kind, audience=ALERT_AUDIENCE, ticket_id=ticket_id, message=message))


def clear_alerts(session: Session, kind: str) -> None:
    """What the alerts said is no longer so (the model is installed now)."""
    for alert in session.scalars(
        select(Alert).where(Alert.kind == kind, Alert.acknowledged_at.is_(None))
    ):
        alert.acknowledged_at = datetime.now(UTC)


def model_missing(session: Session) -> str | None:
    """The open 'no speech model' alert's message, if the transcriber has none."""
    return session.scalar(
        select(Alert.message).where(Alert.kind == MODEL_MISSING, Alert.acknowledged_at.is_(None))
    )


def _missing_model_message(settings: Settings) -> str:
    return (
        f"没有语音识别模型：{settings.asr.resolved_model_dir()}。"
        "请运行 `hotline models download vosk-model-small-cn-0.22`，"
        "或在配置中设置 asr.model_dir；转写任务在模型就绪前保持排队。"
    )


def compress_recording(
    sessions: sessionmaker[Session], settings: Settings, uniqueid: str, recording: str
) -> str | None:
    """The call's recording as Opus once transcribed; returns its new path (as Asterisk sees
    it) or None when it stays WAV."""
    mix = recordings.compress_call(settings.in_chroot(recording))
    if mix is None:
        return None
    new_path = str(Path(recording).with_name(mix.name))
    with sessions() as session, session.begin():
        call = session.scalars(select(Call).where(Call.uniqueid == uniqueid)).one_or_none()
        if call is not None and call.recording_path == recording:
            call.recording_path = new_path
        job = session.scalars(
            select(TranscriptionJob).where(TranscriptionJob.call_uniqueid == uniqueid)
        ).one_or_none()
        if job is not None:
            job.recording_path = new_path
    return new_path


class TranscriberState:
    """What the transcriber's metrics and health report about this process."""

    def __init__(self) -> None:
        self.model_loaded = False
        self.real_time_factor = Histogram(
            "hotline_transcription_real_time_factor",
            "Decoding time over audio time, per transcribed call",
            buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0),
            registry=None,
        )


class JobsCollector(Collector):
    """The job table, read when Prometheus scrapes: counts survive restarts and never drift."""

    def __init__(self, sessions: sessionmaker[Session], state: TranscriberState) -> None:
        self.sessions = sessions
        self.state = state

    def collect(self) -> Iterator[Any]:
        with self.sessions() as session:
            rows = session.execute(
                select(TranscriptionJob.status, func.count()).group_by(TranscriptionJob.status)
            ).all()
        by_status = dict(rows)
        jobs = GaugeMetricFamily(
            "hotline_transcription_jobs", "Transcription jobs by status", labels=["status"]
        )
        for status, count in sorted(by_status.items()):
            jobs.add_metric([status], count)
        yield jobs
        yield GaugeMetricFamily(
            "hotline_transcription_backlog",
            "Recordings waiting to be transcribed",
            value=by_status.get("queued", 0) + by_status.get("running", 0),
        )
        yield GaugeMetricFamily(
            "hotline_speech_model_loaded",
            "1 once the speech model is loaded",
            value=int(self.state.model_loaded),
        )
        yield from self.state.real_time_factor.collect()


def transcriber_health(sessions: sessionmaker[Session], state: TranscriberState) -> dict[str, Any]:
    with sessions() as session:
        session.execute(text("SELECT 1"))
    return {"database": True, "speech_model": state.model_loaded}


def run_workers(
    settings: Settings, stop: threading.Event, state: TranscriberState | None = None
) -> list[threading.Thread]:
    """Load the model (waiting for it to be installed) and start one worker thread per core."""
    from asr.vosk_engine import load_vosk_engine

    state = state or TranscriberState()
    sessions = db.make_sessionmaker(db.make_engine(settings.db_url))
    while not stop.is_set():
        try:
            engine = load_vosk_engine(settings.asr.resolved_model_dir())
            break
        except (ModelMissingError, FileNotFoundError):
            log.error(_missing_model_message(settings))
            with db.transaction(sessions) as session:
                raise_once(session, MODEL_MISSING, _missing_model_message(settings))
            stop.wait(MODEL_RETRY_SECONDS)
    else:
        return []
    state.model_loaded = True
    with db.transaction(sessions) as session:
        clear_alerts(session, MODEL_MISSING)
    queue = job_queue(sessions, settings)

    def transcribe(recording: Path) -> Transcript:
        # Jobs keep the path Asterisk wrote; the worker reads it from the host side.
        transcript = transcribe_recording(
            engine, settings.in_chroot(recording), chunk_seconds=settings.asr.chunk_seconds
        )
        audio = max(transcript.leg_seconds.values(), default=0.0)
        if audio > 0:
            state.real_time_factor.observe(transcript.decode_seconds / audio)
        return transcript

    def compress(job: ClaimedJob) -> None:
        compress_recording(sessions, settings, job.call_uniqueid, job.recording_path)

    threads = []
    for n in range(settings.asr.worker_count()):
        worker = JobWorker(
            queue,
            transcribe,
            worker_id=f"{default_worker_id()}#{n}",
            poll_seconds=settings.asr.job_poll_seconds,
            after=compress,
        )
        thread = threading.Thread(target=worker.run_forever, args=(stop,), name=f"asr-{n}")
        thread.start()
        threads.append(thread)
    log.info("transcription: %d workers on %s", len(threads), settings.asr.resolved_model_dir())
    return threads


def main() -> None:
    logs.configure(logging.INFO)
    settings = load_settings()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    state = TranscriberState()
    sessions = db.make_sessionmaker(db.make_engine(settings.db_url))
    registry = CollectorRegistry()
    registry.register(JobsCollector(sessions, state))
    serve_metrics(
        registry,
        lambda: transcriber_health(sessions, state),
        settings.bind_address,
        settings.transcriber_metrics_port,
    )
    threads = run_workers(settings, stop, state)
    stop.wait()
    for thread in threads:
        thread.join(30)


if __name__ == "__main__":
    main()
