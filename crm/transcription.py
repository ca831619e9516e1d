"""Every recorded call is transcribed: a job is queued at hangup, speech workers run it.

Jobs are rows (``crm.models.TranscriptionJob``, logic in ``asr/jobs.py``): a restart loses none,
a failure is retried up to the configured limit and its error kept beside the job. The workers
run as their own process (``python -m crm.transcription``, started by ``hotline start``), load
the configured model once and share it between one recognizer thread per core.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from asr.engine import ModelMissingError
from asr.jobs import JobQueue, JobWorker, default_worker_id
from asr.transcript import Transcript, transcribe_recording
from crm import db
from crm.models import Call, TranscriptionJob
from hotline.settings import Settings, load_settings

log = logging.getLogger("crm.transcription")

MODEL_RETRY_SECONDS = 30.0


def job_queue(sessions: sessionmaker[Session], settings: Settings) -> JobQueue:
    return JobQueue(
        sessions,
        TranscriptionJob,
        lease_seconds=settings.asr.job_lease_seconds,
    )


def queue_call_transcription(
    sessions: sessionmaker[Session], queue: JobQueue, settings: Settings, uniqueid: str
) -> int | None:
    """Queue the call's recording once it has ended; returns the job id, None if not (yet)."""
    with sessions() as session:
        call = session.scalars(select(Call).where(Call.uniqueid == uniqueid)).one_or_none()
        if call is None or call.ended_at is None or not call.recording_path:
            return None
        ticket = call.ticket.number if call.ticket else None
        recording = call.recording_path
    try:
        return queue.enqueue(
            recording,
            call_uniqueid=uniqueid,
            ticket_ref=ticket,
            max_attempts=settings.asr.job_max_attempts,
        )
    except IntegrityError:
        return None  # the other producer's end-of-call event queued it already


def _missing_model_message(settings: Settings) -> str:
    return (
        f"没有语音识别模型：{settings.asr.resolved_model_dir()}。"
        "请运行 `hotline models download vosk-model-small-cn-0.22`，"
        "或在配置中设置 asr.model_dir；转写任务在模型就绪前保持排队。"
    )


def run_workers(settings: Settings, stop: threading.Event) -> list[threading.Thread]:
    """Load the model (waiting for it to be installed) and start one worker thread per core."""
    from asr.vosk_engine import load_vosk_engine

    while not stop.is_set():
        try:
            engine = load_vosk_engine(settings.asr.resolved_model_dir())
            break
        except (ModelMissingError, FileNotFoundError):
            log.error(_missing_model_message(settings))
            stop.wait(MODEL_RETRY_SECONDS)
    else:
        return []
    sessions = db.make_sessionmaker(db.make_engine(settings.db_url))
    queue = job_queue(sessions, settings)

    def transcribe(recording: Path) -> Transcript:
        # Jobs keep the path Asterisk wrote; the worker reads it from the host side.
        return transcribe_recording(
            engine, settings.in_chroot(recording), chunk_seconds=settings.asr.chunk_seconds
        )

    threads = []
    for n in range(settings.asr.worker_count()):
        worker = JobWorker(
            queue,
            transcribe,
            worker_id=f"{default_worker_id()}#{n}",
            poll_seconds=settings.asr.job_poll_seconds,
        )
        thread = threading.Thread(target=worker.run_forever, args=(stop,), name=f"asr-{n}")
        thread.start()
        threads.append(thread)
    log.info("transcription: %d workers on %s", len(threads), settings.asr.resolved_model_dir())
    return threads


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = load_settings()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threads = run_workers(settings, stop)
    stop.wait()
    for thread in threads:
        thread.join(30)


if __name__ == "__main__":
    main()
