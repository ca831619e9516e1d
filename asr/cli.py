"""``python -m asr``: install and list models, transcribe recordings from the shell.

    python -m asr models download vosk-model-small-cn-0.22
    python -m asr models list
    python -m asr transcribe /srv/hotline/default/recordings/1732800000.42.wav [--json]

Defaults come from the hotline settings (``asr.models_dir``, ``asr.model_dir``); options
override them. Messages for people are Chinese first, like the rest of the hotline.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

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
        caller_text = " ".join(
            line.text for line in transcript.lines if line.speaker is Speaker.CALLER
        )
        suggestion = classifier.classify(caller_text)
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
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args))
