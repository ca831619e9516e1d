"""Reading phone recordings and resampling them for a model.

Asterisk writes 8 kHz 16-bit mono WAV; most Mandarin Vosk models are trained on 16 kHz. The
resampler is soxr (a real band-limited resampler): feeding 8 kHz audio to a 16 kHz model by
sample repetition or letting the feature extractor "upsample" smears the spectrum.

This module never touches a model; it only moves samples.
"""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soxr


class AudioFormatError(ValueError):
    """The file is not 16-bit mono PCM WAV, which is all the hotline records."""


def wav_rate(path: Path) -> int:
    """Sample rate of a WAV file (after checking it is 16-bit mono PCM)."""
    with wave.open(str(path), "rb") as wav:
        _check_format(path, wav)
        return wav.getframerate()


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def read_wav_chunks(path: Path, chunk_seconds: float) -> tuple[int, Iterator[bytes]]:
    """The file's rate and an iterator over PCM chunks of about ``chunk_seconds``.

    Chunks are read lazily so an hour-long recording never sits in memory at once.
    """
    rate = wav_rate(path)
    frames_per_chunk = max(1, int(rate * chunk_seconds))

    def chunks() -> Iterator[bytes]:
        with wave.open(str(path), "rb") as wav:
            while True:
                data = wav.readframes(frames_per_chunk)
                if not data:
                    return
                yield data

    return rate, chunks()


def _check_format(path: Path, wav: wave.Wave_read) -> None:
    if wav.getnchannels() != 1 or wav.getsampwidth() != 2 or wav.getcomptype() != "NONE":
        raise AudioFormatError(
            f"{path}: need 16-bit mono PCM WAV, got {wav.getnchannels()} channel(s), "
            f"{8 * wav.getsampwidth()}-bit, {wav.getcomptype()}"
        )


class StreamResampler:
    """Chunk-by-chunk resampling that keeps filter state across chunks (no clicks at edges)."""

    def __init__(self, in_rate: int, out_rate: int) -> None:
        self.in_rate = in_rate
        self.out_rate = out_rate
        self._stream = (
            None
            if in_rate == out_rate
            else soxr.ResampleStream(in_rate, out_rate, 1, dtype="int16", quality="HQ")
        )

    def process(self, pcm: bytes, last: bool = False) -> bytes:
        if self._stream is None:
            return pcm
        samples = np.frombuffer(pcm, dtype="<i2")
        out = self._stream.resample_chunk(samples, last=last)
        return np.asarray(out, dtype="<i2").tobytes()
