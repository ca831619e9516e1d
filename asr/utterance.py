"""Decode one short IVR utterance and say whether it is urgent: the AGI side's one entry point.

The FastAGI server records what the caller says after the welcome (Record File with silence
detection), then calls ``decode_utterance`` in an executor thread and routes to 110 when
``urgent_words`` is not empty. The function is synchronous and thread-safe: the engine and the
spotter are shared read-only, each call opens its own recognizer stream.

It never routes a call itself and never downloads a model; a missing model fails loudly at
``UtteranceDecoder.from_settings`` time (process start), not in the middle of a call.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import NamedTuple

from asr.audio import read_wav_chunks
from asr.engine import SpeechEngine
from asr.keywords import UrgentSpotter
from asr.settings import AsrSettings
from asr.transcript import decode_file


class UtteranceResult(NamedTuple):
    """``text`` as decoded, the urgent words found in it (empty: not urgent), decode time."""

    text: str
    urgent_words: tuple[str, ...]
    decode_seconds: float


def decode_utterance(
    path: Path, engine: SpeechEngine, spotter: UrgentSpotter, chunk_seconds: float = 0.25
) -> UtteranceResult:
    """Decode ``path`` (8 kHz 16-bit mono WAV) and spot urgent words in the text.

    Raises FileNotFoundError / asr.audio.AudioFormatError for a missing or non-PCM file; the
    caller keeps the call going (route as if nothing was said) when this raises.
    """
    started = time.perf_counter()
    recognition = decode_file(engine, Path(path), chunk_seconds)
    match = spotter.spot(recognition.text)
    return UtteranceResult(
        text=recognition.text,
        urgent_words=match.words,
        decode_seconds=time.perf_counter() - started,
    )


class LiveUtterance:
    """Decode an utterance while it is being spoken, for a call path that streams audio.

    With a recorded file the whole decode happens after the caller stops talking; fed live
    (EAGI's audio descriptor, AudioSocket …) the decoder keeps pace with speech and the verdict
    at the end costs only the flush of the last segment. ``feed`` also reports urgent words as
    soon as they appear in the partial text, so the IVR may stop listening early.
    Not thread-safe: one LiveUtterance per call, fed by one thread.
    """

    def __init__(self, engine: SpeechEngine, spotter: UrgentSpotter, input_rate: int = 8000):
        self._stream = engine.open_stream(input_rate)
        self._spotter = spotter
        self._closed: list[str] = []
        self._decode_seconds = 0.0

    def feed(self, pcm: bytes) -> tuple[str, ...]:
        """Add audio; returns the urgent words heard so far (empty: nothing urgent yet).

        Words from the partial text are a hypothesis that may still change; acting on them
        early favours reaching 110 over certainty, which is the hotline's rule for emergencies.
        """
        started = time.perf_counter()
        self._closed.extend(s.text for s in self._stream.feed(pcm) if s.text)
        text = " ".join([*self._closed, self._stream.partial_text()])
        words = self._spotter.spot(text).words
        self._decode_seconds += time.perf_counter() - started
        return words

    def finish(self) -> UtteranceResult:
        """End of utterance: flush and decide. ``decode_seconds`` is the total decoder time."""
        started = time.perf_counter()
        self._closed.extend(s.text for s in self._stream.finish() if s.text)
        text = " ".join(self._closed)
        words = self._spotter.spot(text).words
        self._decode_seconds += time.perf_counter() - started
        return UtteranceResult(text=text, urgent_words=words, decode_seconds=self._decode_seconds)


class UtteranceDecoder:
    """An engine and a keyword list bound together, built once per process."""

    def __init__(
        self, engine: SpeechEngine, spotter: UrgentSpotter, chunk_seconds: float = 0.25
    ) -> None:
        self.engine = engine
        self.spotter = spotter
        self.chunk_seconds = chunk_seconds

    @classmethod
    def from_settings(cls, settings: AsrSettings) -> UtteranceDecoder:
        """Load the configured model (shared in the process) and the urgent-keyword list."""
        from asr.vosk_engine import load_vosk_engine

        return cls(
            load_vosk_engine(settings.resolved_model_dir()),
            UrgentSpotter.from_file(settings.urgent_keywords_file),
            settings.chunk_seconds,
        )

    def decode(self, path: Path) -> UtteranceResult:
        return decode_utterance(path, self.engine, self.spotter, self.chunk_seconds)

    def warm_up(self, speech: Path, streams: int) -> None:
        """Decode ``speech`` (any recorded speech: the welcome prompt will do) on ``streams``
        recognizers at start-up, so the first callers get a warm decoder. Engines without a
        warm-up simply skip it."""
        warm = getattr(self.engine, "warm_up", None)
        if warm is not None:
            rate, chunks = read_wav_chunks(Path(speech), 10.0)
            warm(b"".join(chunks), rate, streams)

    def live(self, input_rate: int = 8000) -> LiveUtterance:
        return LiveUtterance(self.engine, self.spotter, input_rate)
