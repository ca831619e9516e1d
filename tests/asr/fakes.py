"""A recognizer stand-in: an engine that "hears" a fixed Chinese text.

Keyword routing and the classifier are tested on Chinese text, which the Korean test model
cannot produce; this engine goes through the same SpeechEngine interface as Vosk.
"""

from __future__ import annotations

from asr.engine import Segment, Word


class ScriptedStream:
    def __init__(self, text: str, input_rate: int) -> None:
        self._text = text
        self._rate = input_rate
        self._bytes = 0

    def feed(self, pcm: bytes) -> list[Segment]:
        self._bytes += len(pcm)
        return []

    def partial_text(self) -> str:
        return self._text if self._bytes else ""

    def finish(self) -> list[Segment]:
        tokens = self._text.split()
        if not tokens:
            return []
        seconds = self._bytes / 2 / self._rate
        step = seconds / len(tokens)
        words = tuple(Word(token, i * step, (i + 1) * step, 1.0) for i, token in enumerate(tokens))
        return [Segment(text=" ".join(tokens), words=words)]


class ScriptedEngine:
    """Every stream it opens hears ``text`` (words spaced the way Vosk spaces them)."""

    def __init__(self, text: str) -> None:
        self.text = text

    @property
    def name(self) -> str:
        return "scripted"

    def open_stream(self, input_rate: int) -> ScriptedStream:
        return ScriptedStream(self.text, input_rate)
