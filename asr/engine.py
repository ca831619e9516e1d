"""The speech-engine interface the rest of the hotline codes against.

The call path (AGI utterance decoding) and the transcription workers only see ``SpeechEngine``
and the plain result types below, so a site can plug in another offline engine by writing one
class with ``open_stream``; nothing in ``agi/`` or ``crm/`` changes.

This module must never import an engine library (vosk, …): it only describes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class ModelMissingError(RuntimeError):
    """The configured model directory does not hold a usable model.

    The message names the command that installs one: code never downloads a model by itself.
    """


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word; times are seconds from the start of the audio fed to the stream."""

    word: str
    start: float
    end: float
    confidence: float


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of speech the engine closed at an endpoint (a pause) or at the end of audio."""

    text: str
    words: tuple[Word, ...] = ()

    @property
    def start(self) -> float:
        return self.words[0].start if self.words else 0.0

    @property
    def end(self) -> float:
        return self.words[-1].end if self.words else 0.0


@dataclass(frozen=True, slots=True)
class Recognition:
    """Everything one stream produced, in order."""

    segments: tuple[Segment, ...] = field(default_factory=tuple)
    audio_seconds: float = 0.0

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments if s.text)

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.segments for w in s.words)


class SpeechStream(Protocol):
    """One utterance or one recording leg being decoded; used by one thread at a time."""

    def feed(self, pcm: bytes) -> list[Segment]:
        """Feed 16-bit little-endian mono PCM at the engine's input rate.

        Returns the segments closed by this chunk (often none).
        """
        ...

    def partial_text(self) -> str:
        """The words of the segment still open (may change as audio arrives); "" if none."""
        ...

    def finish(self) -> list[Segment]:
        """Flush the decoder at the end of audio; returns the last segments."""
        ...


@runtime_checkable
class SpeechEngine(Protocol):
    """A loaded model that opens independent streams; must be safe to share between threads."""

    @property
    def name(self) -> str: ...

    def open_stream(self, input_rate: int) -> SpeechStream:
        """A fresh stream that accepts PCM at ``input_rate`` (8000 for phone audio)."""
        ...


def decode_pcm(engine: SpeechEngine, chunks: Iterable[bytes], input_rate: int) -> Recognition:
    """Stream ``chunks`` through one new stream of ``engine`` and gather the segments."""
    stream = engine.open_stream(input_rate)
    segments: list[Segment] = []
    total_bytes = 0
    for chunk in chunks:
        total_bytes += len(chunk)
        segments.extend(stream.feed(chunk))
    segments.extend(stream.finish())
    return Recognition(segments=tuple(segments), audio_seconds=total_bytes / 2 / input_rate)
