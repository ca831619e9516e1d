"""The Vosk implementation of ``SpeechEngine``.

One ``vosk.Model`` per process (it is hundreds of MB and read-only once loaded, so threads share
it); one ``KaldiRecognizer`` per stream (it holds decoding state and is not thread-safe). vosk's
C calls release the GIL, so threads decoding different streams run on different cores.

Phone audio is resampled with soxr to the rate the model was trained on, read from the model's
``conf/mfcc.conf`` (Kaldi's default is 16 kHz when the file does not say).

Never pass a grammar here: an empty one crashes vosk 0.3.45, and a grammar forces every sound
onto the listed words. Urgent words are matched on the decoded text (asr/keywords.py).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from asr.audio import StreamResampler
from asr.engine import ModelMissingError, Segment, Word
from asr.settings import DEFAULT_MODEL_NAME

KALDI_DEFAULT_RATE = 16000
REQUIRED_PARTS = ("am/final.mdl", "conf/model.conf")

_load_lock = threading.Lock()
_loaded: dict[Path, VoskEngine] = {}


def model_sample_rate(model_dir: Path) -> int:
    """The rate the model's features expect: ``--sample-frequency`` in conf/mfcc.conf."""
    mfcc = model_dir / "conf" / "mfcc.conf"
    if mfcc.is_file():
        for line in mfcc.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("--sample-frequency="):
                return int(float(line.split("=", 1)[1]))
    return KALDI_DEFAULT_RATE


def check_model_dir(model_dir: Path) -> None:
    """Raise ``ModelMissingError`` naming the install command unless ``model_dir`` is a model."""
    missing = [part for part in REQUIRED_PARTS if not (model_dir / part).is_file()]
    if missing:
        raise ModelMissingError(
            f"No Vosk model at {model_dir} (missing {', '.join(missing)}). Install one with "
            f"`python -m asr models download {DEFAULT_MODEL_NAME}` and point asr.model_dir "
            "(HOTLINE_ASR__MODEL_DIR) at it."
        )


def parse_result(raw: str) -> Segment | None:
    """A Segment from vosk's JSON result, or None when the result holds no speech."""
    data: dict[str, Any] = json.loads(raw)
    words = tuple(
        Word(
            word=str(item["word"]),
            start=float(item["start"]),
            end=float(item["end"]),
            confidence=float(item.get("conf", 1.0)),
        )
        for item in data.get("result", [])
    )
    text = str(data.get("text", "")).strip()
    if not text and not words:
        return None
    return Segment(text=text, words=words)


class VoskStream:
    """One recognizer fed through one resampler; owned by a single thread."""

    def __init__(self, model: Any, model_rate: int, input_rate: int) -> None:
        import vosk

        self._recognizer = vosk.KaldiRecognizer(model, float(model_rate))
        self._recognizer.SetWords(True)
        self._resampler = StreamResampler(input_rate, model_rate)

    def feed(self, pcm: bytes) -> list[Segment]:
        data = self._resampler.process(pcm)
        if data and self._recognizer.AcceptWaveform(data):
            return _some(parse_result(self._recognizer.Result()))
        return []

    def partial_text(self) -> str:
        data: dict[str, Any] = json.loads(self._recognizer.PartialResult())
        return str(data.get("partial", "")).strip()

    def finish(self) -> list[Segment]:
        segments: list[Segment] = []
        tail = self._resampler.process(b"", last=True)
        if tail and self._recognizer.AcceptWaveform(tail):
            segments += _some(parse_result(self._recognizer.Result()))
        segments += _some(parse_result(self._recognizer.FinalResult()))
        return segments


def _some(segment: Segment | None) -> list[Segment]:
    return [segment] if segment is not None else []


class VoskEngine:
    """A loaded Vosk model; open one stream per utterance or recording leg."""

    def __init__(self, model_dir: Path) -> None:
        check_model_dir(model_dir)
        import vosk

        vosk.SetLogLevel(-1)
        self.model_dir = model_dir
        self.sample_rate = model_sample_rate(model_dir)
        self._model = vosk.Model(str(model_dir))

    @property
    def name(self) -> str:
        return f"vosk:{self.model_dir.name}"

    def open_stream(self, input_rate: int) -> VoskStream:
        return VoskStream(self._model, self.sample_rate, input_rate)


def load_vosk_engine(model_dir: Path) -> VoskEngine:
    """The process-wide engine for ``model_dir``, loaded on first use and shared after that.

    Loading is explicit (callers name the directory) and local: nothing is downloaded.
    """
    key = Path(model_dir).resolve()
    with _load_lock:
        engine = _loaded.get(key)
        if engine is None:
            engine = _loaded[key] = VoskEngine(key)
        return engine
