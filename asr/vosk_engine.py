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


def parse_result(raw: str, offset: float = 0.0) -> Segment | None:
    """A Segment from vosk's JSON result, or None when the result holds no speech.

    ``offset`` is subtracted from word times: a reused recognizer counts time from its first
    utterance, not from this stream's.
    """
    data: dict[str, Any] = json.loads(raw)
    words = tuple(
        Word(
            word=str(item["word"]),
            start=round(max(0.0, float(item["start"]) - offset), 3),
            end=round(max(0.0, float(item["end"]) - offset), 3),
            confidence=float(item.get("conf", 1.0)),
        )
        for item in data.get("result", [])
    )
    text = str(data.get("text", "")).strip()
    if not text and not words:
        return None
    return Segment(text=text, words=words)


class _Recognizer:
    """A KaldiRecognizer and the audio seconds it has been fed over all its utterances."""

    def __init__(self, model: Any, rate: int) -> None:
        import vosk

        self.kaldi = vosk.KaldiRecognizer(model, float(rate))
        self.kaldi.SetWords(True)
        self.rate = rate
        self.seconds_fed = 0.0


class _RecognizerPool:
    """Idle recognizers, reused by the next stream on any thread.

    Why: a new KaldiRecognizer on a lookahead model (the small models, HCLr/Gr) rebuilds its
    composed-graph cache, which on this machine cost ~1.3 s for the first second of speech —
    most of a 5 s utterance's decode. A recognizer that finished an utterance starts the next
    one with a fresh feature pipeline (no adaptation carried over) but a warm graph. The pool
    holds at most as many recognizers as streams ever ran at once.
    """

    # A reused recognizer's clock keeps running; start afresh well before floats get coarse.
    MAX_SECONDS = 3600.0

    def __init__(self, model: Any, rate: int) -> None:
        self._model = model
        self._rate = rate
        self._idle: list[_Recognizer] = []
        self._lock = threading.Lock()

    def take(self) -> _Recognizer:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return _Recognizer(self._model, self._rate)

    def give_back(self, recognizer: _Recognizer) -> None:
        if recognizer.seconds_fed < self.MAX_SECONDS:
            with self._lock:
                self._idle.append(recognizer)


class VoskStream:
    """One recognizer fed through one resampler; owned by a single thread.

    The recognizer goes back to the pool only after ``finish``: a stream abandoned half-way
    (an exception, a hangup) takes its recognizer with it, so no half utterance leaks into the
    next caller's decode.
    """

    def __init__(self, pool: _RecognizerPool, model_rate: int, input_rate: int) -> None:
        self._pool = pool
        self._recognizer = pool.take()
        self._offset = self._recognizer.seconds_fed
        self._resampler = StreamResampler(input_rate, model_rate)

    def _accept(self, data: bytes) -> bool:
        self._recognizer.seconds_fed += len(data) / 2 / self._recognizer.rate
        return bool(self._recognizer.kaldi.AcceptWaveform(data))

    def _result(self, raw: str) -> list[Segment]:
        segment = parse_result(raw, self._offset)
        return [segment] if segment is not None else []

    def feed(self, pcm: bytes) -> list[Segment]:
        data = self._resampler.process(pcm)
        if data and self._accept(data):
            return self._result(self._recognizer.kaldi.Result())
        return []

    def partial_text(self) -> str:
        data: dict[str, Any] = json.loads(self._recognizer.kaldi.PartialResult())
        return str(data.get("partial", "")).strip()

    def finish(self) -> list[Segment]:
        segments: list[Segment] = []
        tail = self._resampler.process(b"", last=True)
        if tail and self._accept(tail):
            segments += self._result(self._recognizer.kaldi.Result())
        segments += self._result(self._recognizer.kaldi.FinalResult())
        self._pool.give_back(self._recognizer)
        return segments


class VoskEngine:
    """A loaded Vosk model; open one stream per utterance or recording leg."""

    def __init__(self, model_dir: Path) -> None:
        check_model_dir(model_dir)
        import vosk

        vosk.SetLogLevel(-1)
        self.model_dir = model_dir
        self.sample_rate = model_sample_rate(model_dir)
        self._model = vosk.Model(str(model_dir))
        self._pool = _RecognizerPool(self._model, self.sample_rate)

    @property
    def name(self) -> str:
        return f"vosk:{self.model_dir.name}"

    def open_stream(self, input_rate: int) -> VoskStream:
        return VoskStream(self._pool, self.sample_rate, input_rate)

    def warm_up(self, pcm: bytes, input_rate: int, streams: int) -> None:
        """Decode ``pcm`` (speech, e.g. an IVR prompt) on ``streams`` recognizers at once so the
        first callers do not pay the recognizers' cold start (see _RecognizerPool)."""
        opened = [self.open_stream(input_rate) for _ in range(max(1, streams))]
        for stream in opened:
            stream.feed(pcm)
            stream.finish()


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
