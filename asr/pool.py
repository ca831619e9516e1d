"""A decoder pool sized to the cores: one loaded model, one thread (recognizer) per core.

Decoding is CPU-bound C code that releases the GIL, so threads are the cheap way to use every
core while sharing one model in memory (processes would each load their own copy, ~700 MB each
for the Korean test model). More threads than cores only adds memory and latency.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from asr.engine import Recognition, SpeechEngine
from asr.transcript import Transcript, decode_file, transcribe_recording


class DecoderPool:
    """Threads that decode files with a shared engine; use as a context manager."""

    def __init__(self, engine: SpeechEngine, workers: int, chunk_seconds: float = 0.25) -> None:
        self.engine = engine
        self.workers = max(1, workers)
        self.chunk_seconds = chunk_seconds
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="asr")

    def decode(self, path: Path) -> Future[Recognition]:
        return self._executor.submit(decode_file, self.engine, path, self.chunk_seconds)

    def transcribe(self, recording: Path) -> Transcript:
        """Both legs of one call, decoded in parallel on the pool's threads.

        Call it from outside the pool: a pool thread waiting on its own pool can deadlock.
        """
        return transcribe_recording(
            self.engine, recording, chunk_seconds=self.chunk_seconds, executor=self._executor
        )

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    def __enter__(self) -> DecoderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
