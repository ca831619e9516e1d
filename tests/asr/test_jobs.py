"""Transcription jobs on SQLite: claim, run, store, retry with a limit, survive a restart."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from asr.engine import Word
from asr.jobs import JobQueue, JobStatus, JobWorker, make_job_model, start_job_workers
from asr.transcript import Speaker, Transcript, TranscriptLine, transcribe_recording
from asr.vosk_engine import VoskEngine


class Base(DeclarativeBase):
    """Stands in for the CRM's Base: the job model binds to whatever Base it is given."""


TranscriptionJob = make_job_model(Base)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 28, 8, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def open_queue(db: Path, clock: Clock) -> tuple[JobQueue, sessionmaker[Session]]:
    """What a (re)started process does: a new engine, sessions and queue on the same file."""
    engine = create_engine(f"sqlite:///{db}")
    Base.metadata.create_all(engine)
    sessions = sessionmaker(engine)
    return JobQueue(
        sessions, TranscriptionJob, lease_seconds=60, retry_delay_seconds=10, clock=clock
    ), sessions


def test_model_binds_to_the_given_base(tmp_path: Path) -> None:
    queue, sessions = open_queue(tmp_path / "jobs.db", Clock())
    assert TranscriptionJob.__tablename__ == "asr_transcription_jobs"  # type: ignore[attr-defined]
    columns = {
        c["name"] for c in inspect(sessions.kw["bind"]).get_columns("asr_transcription_jobs")
    }
    assert {"status", "attempts", "last_error", "lease_until", "search_text"} <= columns


def test_a_job_survives_a_worker_restart(
    tmp_path: Path, ko_engine: VoskEngine, call_recording: Path
) -> None:
    db = tmp_path / "jobs.db"
    clock = Clock()
    queue, sessions = open_queue(db, clock)
    job_id = queue.enqueue(call_recording, ticket_ref="T-1")
    crashed = queue.claim("worker-a")
    assert crashed is not None and crashed.id == job_id and crashed.attempt == 1
    sessions.kw["bind"].dispose()  # worker-a's process dies holding the job

    queue, sessions = open_queue(db, clock)  # the restarted process
    assert queue.claim("worker-b") is None, "the lease still holds right after the crash"
    clock.advance(61)
    worker = JobWorker(queue, lambda p: transcribe_recording(ko_engine, p), worker_id="worker-b")
    assert worker.run_once()
    job = queue.get(job_id)
    assert job["status"] == JobStatus.DONE
    assert job["attempts"] == 2
    assert job["claimed_by"] == "worker-b"
    assert "attempt 1 lost" in job["last_error"]  # the takeover is visible on the job
    assert "来电人：" in job["transcript_text"] and "话务员：" in job["transcript_text"]
    stored = Transcript.from_dict(json.loads(job["transcript_json"]))
    assert {line.speaker for line in stored.lines} == {Speaker.CALLER, Speaker.AGENT}
    # The dead worker's late result is refused: the job belongs to worker-b now.
    assert not queue.complete(job_id, "worker-a", stored)
    assert not worker.run_once()


def test_a_queued_job_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    clock = Clock()
    queue, sessions = open_queue(db, clock)
    job_id = queue.enqueue("/rec/1.wav")
    sessions.kw["bind"].dispose()
    queue, _ = open_queue(db, clock)
    claimed = queue.claim("w")
    assert claimed is not None and claimed.id == job_id


def test_failures_are_retried_up_to_the_limit_and_the_error_is_kept(tmp_path: Path) -> None:
    clock = Clock()
    queue, _ = open_queue(tmp_path / "jobs.db", clock)
    job_id = queue.enqueue("/nowhere/1732.wav", max_attempts=3)
    calls: list[Path] = []

    def broken(path: Path) -> Transcript:
        calls.append(path)
        raise FileNotFoundError(f"recording leg missing: {path}")

    worker = JobWorker(queue, broken, worker_id="w")
    assert worker.run_once()
    job = queue.get(job_id)
    assert job["status"] == JobStatus.QUEUED and job["attempts"] == 1
    assert "FileNotFoundError: recording leg missing" in job["last_error"]
    assert not worker.run_once(), "a failed job waits for its back-off"
    for _ in range(2):
        clock.advance(3600)
        assert worker.run_once()
    job = queue.get(job_id)
    assert job["status"] == JobStatus.FAILED and job["attempts"] == 3
    assert job["finished_at"] is not None and "recording leg missing" in job["last_error"]
    clock.advance(3600)
    assert not worker.run_once(), "a failed job is never retried by itself"
    assert len(calls) == 3
    queue.retry(job_id)
    assert queue.claim("w") is not None


def test_a_job_whose_worker_keeps_dying_ends_failed(tmp_path: Path) -> None:
    clock = Clock()
    queue, _ = open_queue(tmp_path / "jobs.db", clock)
    job_id = queue.enqueue("/rec/crasher.wav", max_attempts=2)
    for worker in ("a", "b"):
        assert queue.claim(worker) is not None
        clock.advance(61)
    assert queue.claim("c") is None
    job = queue.get(job_id)
    assert job["status"] == JobStatus.FAILED
    assert "lease expired" in job["last_error"]


def test_two_workers_never_run_the_same_job(tmp_path: Path) -> None:
    queue, _ = open_queue(tmp_path / "jobs.db", Clock())
    ids = {queue.enqueue(f"/rec/{n}.wav") for n in range(20)}
    taken: list[int] = []
    lock = threading.Lock()

    def drain(name: str) -> None:
        while (job := queue.claim(name)) is not None:
            with lock:
                taken.append(job.id)

    threads = [threading.Thread(target=drain, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(ids)


def test_worker_threads_drain_the_queue_and_transcripts_are_searchable(
    tmp_path: Path, ko_engine: VoskEngine, call_recording: Path
) -> None:
    queue, _ = open_queue(tmp_path / "jobs.db", Clock())
    job_id = queue.enqueue(call_recording)
    stop = threading.Event()
    threads = start_job_workers(queue, ko_engine, 2, stop, poll_seconds=0.05)
    try:
        for _ in range(600):
            if queue.get(job_id)["status"] == JobStatus.DONE:
                break
            stop.wait(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    job = queue.get(job_id)
    assert job["status"] == JobStatus.DONE
    first_word = job["search_text"].split("：", 1)[1][:2]
    assert job_id in queue.search(first_word)
    assert queue.search("着火了不存在的词") == []


def test_search_ignores_spaces_and_escapes_wildcards(tmp_path: Path) -> None:
    queue, _ = open_queue(tmp_path / "jobs.db", Clock())
    line = TranscriptLine(Speaker.CALLER, "楼 下 着火 了", (Word("着火", 0.1, 0.5, 1.0),), 0.1, 0.5)
    transcript = Transcript((line,), {Speaker.CALLER: 1.0}, "scripted", 0.01)
    job_id = queue.enqueue("/rec/9.wav")
    claimed = queue.claim("w")
    assert claimed is not None
    assert queue.complete(job_id, "w", transcript)
    assert queue.search("着 火") == [job_id]
    assert queue.search("%") == []
    with pytest.raises(NoResultFound):
        queue.get(999)
