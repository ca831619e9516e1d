"""A call's recording files on disk: the mix and both legs, as WAV or, once transcribed, Opus.

MixMonitor writes three uncompressed WAV files per call (``X.wav``, ``X-in.wav``,
``X-out.wav``: about 1 MB a minute each). Once the transcriber is done with the legs they are
only listened to, so they are re-encoded as Opus in an Ogg file (``X.opus``), which browsers
play natively and which is about a tenth of the size. The encoder is Debian's ``opusenc``
(opus-tools). A WAV is removed only once its Opus file is complete and not empty: a failed
conversion leaves the WAV as it was, so no recording is ever lost to compression.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

OPUSENC = "opusenc"
WAV, OPUS = ".wav", ".opus"
# The mix, the caller's and the agent's legs, and a voice message left after the longest wait.
LEG_SUFFIXES = ("", "-in", "-out", "-message")
# Speech at 8 kHz: 16 kbit/s Opus is transparent for a listener and keeps words clear.
OPUS_BITRATE_KBPS = 16
ENCODE_TIMEOUT_SECONDS = 300.0
MEDIA_TYPES = {WAV: "audio/wav", OPUS: "audio/ogg; codecs=opus"}


def stem(recording: Path) -> Path:
    """The recording without its format: ``…/1700000000.1`` for ``…/1700000000.1.wav``."""
    return recording.with_suffix("") if recording.suffix in MEDIA_TYPES else recording


def recording_files(mix: Path) -> list[Path]:
    """Every file of the call whose mix is ``mix`` that is on disk, in either format."""
    base = stem(mix)
    found = []
    for leg in LEG_SUFFIXES:
        for suffix in MEDIA_TYPES:
            path = base.with_name(base.name + leg + suffix)
            if path.is_file():
                found.append(path)
    return found


def media_type(path: Path) -> str:
    return MEDIA_TYPES.get(path.suffix, "application/octet-stream")


def encoder_available() -> bool:
    return shutil.which(OPUSENC) is not None


def compress(wav: Path) -> Path | None:
    """``wav`` re-encoded as Opus beside it, the WAV then removed; None (the WAV kept) when
    the encoder is missing or fails. The Opus file keeps the WAV's owner, group and mode, so
    whoever could play the recording still can."""
    if wav.suffix != WAV or not wav.is_file():
        return None
    target = wav.with_suffix(OPUS)
    partial = wav.with_name(f".{wav.stem}.opus.part")
    if not encoder_available():
        log.warning("recording %s kept as WAV: %s is not installed", wav.name, OPUSENC)
        return None
    try:
        done = subprocess.run(
            [OPUSENC, "--quiet", "--bitrate", str(OPUS_BITRATE_KBPS), "--", str(wav), str(partial)],
            capture_output=True,
            text=True,
            timeout=ENCODE_TIMEOUT_SECONDS,
            check=False,
        )
        if done.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            log.warning("recording %s kept as WAV: opusenc failed: %s", wav.name,
                        done.stderr.strip()[-300:])  # fmt: skip
            partial.unlink(missing_ok=True)
            return None
        stat = wav.stat()
        with contextlib.suppress(PermissionError):
            os.chown(partial, stat.st_uid, stat.st_gid)
        partial.chmod(stat.st_mode & 0o777)
        os.replace(partial, target)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("recording %s kept as WAV: %s", wav.name, exc)
        partial.unlink(missing_ok=True)
        return None
    wav.unlink()
    return target


def compress_call(mix: Path) -> Path | None:
    """Compress the mix and both legs; returns the mix's new path once the mix is Opus (the
    legs follow when they can), None if the mix stays WAV."""
    base = stem(mix)
    compressed = None
    for leg in LEG_SUFFIXES:
        wav = base.with_name(base.name + leg + WAV)
        done = compress(wav)
        if leg == "" and done is not None:
            compressed = done
    if compressed is None and base.with_name(base.name + OPUS).is_file():
        compressed = base.with_name(base.name + OPUS)  # an earlier run did it
    return compressed
