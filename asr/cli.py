"""``python -m asr``: install and list models, transcribe recordings from the shell.

    python -m asr models download vosk-model-small-cn-0.22
    python -m asr models list
    python -m asr transcribe /srv/hotline/default/recordings/1732800000.42.wav [--json]
    python -m asr jobs enqueue --job-model crm.models:TranscriptionJob REC.wav [--ticket T]
    python -m asr jobs work --job-model crm.models:TranscriptionJob [--drain]

``--job-model`` names the job class bound to the application's Base (asr/jobs.py's
``make_job_model``); the database is the hotline's (``database_url``) unless ``--db`` is given.

Defaults come from the hotline settings (``asr.models_dir``, ``asr.model_dir``); options
override them. Messages for people are Chinese first, like the rest of the hotline.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from asr.settings import AsrSettings


def _settings() -> AsrSettings:
    from hotline.settings import load_settings

    return load_settings().asr


class _Progress:
    """Prints the download percentage to stderr in 5 % steps."""

    def __init__(self) -> None:
        self.shown = -1

    def __call__(self, received: int, total: int) -> None:
        percent = received * 100 // max(total, 1)
        if percent // 5 != self.shown // 5 or received == total:
            self.shown = percent
            end = "\n" if received == total else ""
            print(
                f"\r下载 {percent:3d}%  {received}/{total} B", end=end, file=sys.stderr, flush=True
            )


def cmd_download(args: argparse.Namespace) -> int:
    from asr.models import ModelDownloadError, download_model, load_catalog

    models_dir = args.dir or _settings().models_dir
    catalog = load_catalog(args.catalog) if args.catalog else load_catalog()
    try:
        path = download_model(args.name, models_dir, catalog=catalog, progress=_Progress())
    except ModelDownloadError as exc:
        print(f"模型下载失败 (download failed): {exc}", file=sys.stderr)
        return 1
    print(f"已安装 (installed): {path}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from asr.models import list_models, load_catalog

    settings = _settings()
    models_dir = args.dir or settings.models_dir
    installed = list_models(models_dir)
    print(f"模型目录 (models dir): {models_dir}")
    for model in installed:
        state = "可用" if model.usable else "不完整"
        sha = f"sha256 {model.sha256[:12]}…" if model.sha256 else "手动安装"
        print(
            f"  {model.name}\t{state}\t{model.sample_rate} Hz\t"
            f"{model.bytes_on_disk / 1e6:.0f} MB\t{sha}"
        )
    if not installed:
        print("  （无 none）")
    names = {m.name for m in installed}
    missing = [n for n in load_catalog() if n not in names]
    if missing:
        print("可下载 (available): " + ", ".join(missing))
    print(f"当前配置 (configured): {settings.resolved_model_dir()}")
    return 0


def cmd_transcribe(args: argparse.Namespace) -> int:
    from asr.classifier import CallClassifier
    from asr.engine import ModelMissingError
    from asr.transcript import Speaker, recording_legs, transcribe_legs
    from asr.vosk_engine import load_vosk_engine

    settings = _settings()
    try:
        engine = load_vosk_engine(args.model or settings.resolved_model_dir())
    except ModelMissingError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    classifier = CallClassifier.from_files(settings.classifier_file, settings.urgent_keywords_file)
    for file in args.files:
        legs = recording_legs(file)
        if not all(p.is_file() for p in legs.values()):
            legs = {Speaker.CALLER: file}  # a lone file (an IVR utterance): the caller spoke
        transcript = transcribe_legs(engine, legs, chunk_seconds=settings.chunk_seconds)
        suggestion = classifier.classify_transcript(transcript)
        if args.json:
            out = {
                "file": str(file),
                "transcript": transcript.to_dict(),
                "suggestion": suggestion.explanation(),
            }
            print(json.dumps(out, ensure_ascii=False))
        else:
            print(f"# {file}  ({transcript.decode_seconds:.2f} s)")
            print(transcript.as_text())
            print(suggestion.explanation())
    return 0


def _job_queue(args: argparse.Namespace) -> tuple[Any, AsrSettings]:
    import importlib

    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    from asr.jobs import JobQueue
    from hotline.settings import load_settings

    settings = load_settings()
    module, _, attr = args.job_model.partition(":")
    model = getattr(importlib.import_module(module), attr)
    engine = create_engine(args.db or settings.db_url)
    queue = JobQueue(sessionmaker(engine), model, lease_seconds=settings.asr.job_lease_seconds)
    return queue, settings.asr


def cmd_enqueue(args: argparse.Namespace) -> int:
    queue, settings = _job_queue(args)
    for file in args.files:
        job_id = queue.enqueue(
            file.resolve(), ticket_ref=args.ticket, max_attempts=settings.job_max_attempts
        )
        print(f"已排队 (queued) job {job_id}: {file}")
    return 0


def _drain(worker: Any) -> None:
    while worker.run_once():
        pass


def cmd_work(args: argparse.Namespace) -> int:
    """Run job workers, one per core; ``--drain`` stops when nothing is left to do."""
    import signal
    import threading

    from asr.jobs import JobWorker, default_worker_id, start_job_workers
    from asr.transcript import transcribe_recording
    from asr.vosk_engine import load_vosk_engine

    queue, settings = _job_queue(args)
    engine = load_vosk_engine(args.model or settings.resolved_model_dir())
    count = settings.worker_count()
    if args.drain:
        workers = [
            JobWorker(
                queue,
                lambda path: transcribe_recording(
                    engine, path, chunk_seconds=settings.chunk_seconds
                ),
                worker_id=f"{default_worker_id()}#{n}",
            )
            for n in range(count)
        ]
        threads = [threading.Thread(target=_drain, args=(worker,)) for worker in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return 0
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    threads = start_job_workers(
        queue,
        engine,
        count,
        stop,
        chunk_seconds=settings.chunk_seconds,
        poll_seconds=settings.job_poll_seconds,
    )
    while not stop.wait(1.0):
        pass
    for thread in threads:
        thread.join()
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m asr", description="热线语音识别 (hotline speech)")
    sub = top.add_subparsers(dest="command", required=True)
    models = sub.add_parser("models", help="install / list speech models")
    models_sub = models.add_subparsers(dest="models_command", required=True)
    download = models_sub.add_parser("download", help="download, verify and unpack a model")
    download.add_argument("name")
    download.add_argument("--dir", type=Path, help="models folder (default: asr.models_dir)")
    download.add_argument("--catalog", type=Path, help="another model catalogue (YAML)")
    download.set_defaults(func=cmd_download)
    listing = models_sub.add_parser("list", help="list installed models")
    listing.add_argument("--dir", type=Path)
    listing.set_defaults(func=cmd_list)
    transcribe = sub.add_parser("transcribe", help="transcribe recordings (both legs if present)")
    transcribe.add_argument("files", nargs="+", type=Path)
    transcribe.add_argument("--model", type=Path, help="model directory (default: configured)")
    transcribe.add_argument("--json", action="store_true")
    transcribe.set_defaults(func=cmd_transcribe)
    jobs = sub.add_parser("jobs", help="transcription jobs in the database")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True)
    for name, func, help_text in (
        ("enqueue", cmd_enqueue, "queue recordings (mix paths) for transcription"),
        ("work", cmd_work, "run transcription workers (one per core)"),
    ):
        command = jobs_sub.add_parser(name, help=help_text)
        command.add_argument("--job-model", required=True, help="module:Class of the job model")
        command.add_argument("--db", help="database URL (default: the hotline's)")
        command.set_defaults(func=func)
    jobs_sub.choices["enqueue"].add_argument("files", nargs="+", type=Path)
    jobs_sub.choices["enqueue"].add_argument("--ticket", help="ticket reference to store")
    jobs_sub.choices["work"].add_argument("--model", type=Path, help="model directory")
    jobs_sub.choices["work"].add_argument(
        "--drain", action="store_true", help="exit when no job is left"
    )
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args))
