"""A call's transcript: both recording legs decoded and merged into one time-ordered text.

MixMonitor's r() leg (``<uniqueid>-in.wav``) holds only what the caller said and the t() leg
(``<uniqueid>-out.wav``) only what the caller heard (IVR prompts and the agent), so decoding each
leg separately labels every word with its speaker without any diarisation. The mix
(``<uniqueid>.wav``) is what supervisors listen to; it is not decoded.

This module knows files and engines only; storing a transcript is asr/jobs.py's business.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from asr.audio import read_wav_chunks
from asr.engine import Recognition, SpeechEngine, Word, decode_pcm


class Speaker(StrEnum):
    """Who spoke; the value is stored, the label is what supervisors read."""

    CALLER = "caller"
    AGENT = "agent"

    @property
    def label(self) -> str:
        return SPEAKER_LABELS[self]


SPEAKER_LABELS: dict[Speaker, str] = {Speaker.CALLER: "来电人", Speaker.AGENT: "话务员"}
LEG_SUFFIXES: dict[Speaker, str] = {Speaker.CALLER: "-in", Speaker.AGENT: "-out"}


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """One segment of one speaker, with its words (times in seconds from the call's start)."""

    speaker: Speaker
    text: str
    words: tuple[Word, ...]
    start: float
    end: float

    @property
    def label(self) -> str:
        return self.speaker.label


@dataclass(frozen=True, slots=True)
class Transcript:
    """Both legs, merged: ``lines`` are ordered by start time whoever spoke."""

    lines: tuple[TranscriptLine, ...]
    leg_seconds: Mapping[Speaker, float]
    engine: str
    decode_seconds: float

    def as_text(self) -> str:
        """Readable form for the ticket page: ``[01:02.3] 来电人：……`` one line per segment."""
        return "\n".join(f"[{_clock(line.start)}] {line.label}：{line.text}" for line in self.lines)

    def search_text(self) -> str:
        """Text for Chinese substring search: Vosk separates words by spaces, search must not
        (``LIKE '%着火%'`` has to match ``着 火``)."""
        return "\n".join(f"{line.label}：{''.join(line.text.split())}" for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "decode_seconds": round(self.decode_seconds, 3),
            "legs": {speaker.value: secs for speaker, secs in self.leg_seconds.items()},
            "lines": [
                {
                    "speaker": line.speaker.value,
                    "label": line.label,
                    "start": line.start,
                    "end": line.end,
                    "text": line.text,
                    "words": [
                        {"word": w.word, "start": w.start, "end": w.end, "conf": w.confidence}
                        for w in line.words
                    ],
                }
                for line in self.lines
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transcript:
        return cls(
            engine=str(data["engine"]),
            decode_seconds=float(data["decode_seconds"]),
            leg_seconds={Speaker(k): float(v) for k, v in data["legs"].items()},
            lines=tuple(
                TranscriptLine(
                    speaker=Speaker(line["speaker"]),
                    text=line["text"],
                    start=float(line["start"]),
                    end=float(line["end"]),
                    words=tuple(
                        Word(w["word"], float(w["start"]), float(w["end"]), float(w["conf"]))
                        for w in line["words"]
                    ),
                )
                for line in data["lines"]
            ),
        )


def _clock(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes):02d}:{secs:04.1f}"


def recording_legs(recording: Path) -> dict[Speaker, Path]:
    """The leg files of a MixMonitor recording, given the mix path ``<dir>/<uniqueid>.wav``."""
    stem = recording.name.removesuffix(recording.suffix)
    for suffix in LEG_SUFFIXES.values():
        stem = stem.removesuffix(suffix)
    return {
        speaker: recording.with_name(f"{stem}{suffix}{recording.suffix}")
        for speaker, suffix in LEG_SUFFIXES.items()
    }


def decode_file(engine: SpeechEngine, path: Path, chunk_seconds: float = 0.25) -> Recognition:
    """Decode one WAV file through one stream, in chunks."""
    rate, chunks = read_wav_chunks(path, chunk_seconds)
    return decode_pcm(engine, chunks, rate)


def transcribe_legs(
    engine: SpeechEngine,
    legs: Mapping[Speaker, Path],
    *,
    chunk_seconds: float = 0.25,
    executor: Executor | None = None,
) -> Transcript:
    """Decode every leg (in parallel when an executor is given) and merge by start time.

    A missing leg file is an error, not an empty leg: a silently half transcript would look
    like a caller who never spoke.
    """
    for path in legs.values():
        if not path.is_file():
            raise FileNotFoundError(f"recording leg missing: {path}")
    started = time.perf_counter()
    if executor is None:
        results = {sp: decode_file(engine, p, chunk_seconds) for sp, p in legs.items()}
    else:
        futures = {
            sp: executor.submit(decode_file, engine, p, chunk_seconds) for sp, p in legs.items()
        }
        results = {sp: f.result() for sp, f in futures.items()}
    lines = [
        TranscriptLine(speaker=sp, text=seg.text, words=seg.words, start=seg.start, end=seg.end)
        for sp, rec in results.items()
        for seg in rec.segments
    ]
    lines.sort(key=lambda line: (line.start, line.speaker.value))
    return Transcript(
        lines=tuple(lines),
        leg_seconds={sp: rec.audio_seconds for sp, rec in results.items()},
        engine=engine.name,
        decode_seconds=time.perf_counter() - started,
    )


def transcribe_recording(
    engine: SpeechEngine,
    recording: Path,
    *,
    chunk_seconds: float = 0.25,
    executor: Executor | None = None,
) -> Transcript:
    """Transcribe a call from its mix path: both legs, labelled 来电人 / 话务员."""
    return transcribe_legs(
        engine, recording_legs(recording), chunk_seconds=chunk_seconds, executor=executor
    )
