"""Spoken IVR prompts, made from their Chinese text at setup.

espeak-ng speaks Mandarin only through its ``cmn-latn-pinyin`` voice fed tone-numbered pinyin
(its ``cmn`` voice reads the tone digits aloud as English words), so the text goes through
pypinyin first. Asterisk plays 8 kHz mono 16-bit ``.wav``; sox converts. A recorded file in
``custom/`` with the prompt's name replaces the generated one: real sites use a voice talent.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from pypinyin import Style, lazy_pinyin

DIGITS_ONE_BY_ONE = "零幺二三四五六七八九"
DIGITS_AS_NUMBER = "零一二三四五六七八九"
PAUSES = {"，": ",", "、": ",", "；": ",", "：": ",", "。": ".", "！": ".", "？": "."}


def speakable(text: str) -> str:
    """Chinese text as espeak's pinyin voice reads it.

    Numbers of three digits or more (12345, 110) are read digit by digit with 幺 for 1, as
    Chinese phone numbers are; a single key (按1) is read as the number.
    """

    def digits(match: re.Match[str]) -> str:
        run = match.group(0)
        table = DIGITS_ONE_BY_ONE if len(run) >= 3 else DIGITS_AS_NUMBER
        return "".join(table[int(d)] for d in run)

    text = re.sub(r"\d+", digits, text)
    words: list[str] = []
    for chunk in lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True):
        chunk = chunk.strip()
        if not chunk:
            continue
        words.append(PAUSES.get(chunk, chunk))
    return " ".join(words).replace(" ,", ",").replace(" .", ".")


def to_phone_wav(source: Path, target: Path, *effects: str) -> None:
    """Convert with sox to what Asterisk plays and records: 8 kHz mono 16-bit signed WAV."""
    subprocess.run(
        [
            "sox",
            str(source),
            "-r",
            "8000",
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed-integer",
            str(target),
            *effects,
        ],
        check=True,
        capture_output=True,
    )


def synthesize(text: str, target: Path) -> None:
    """Write ``target`` (8 kHz mono 16-bit WAV) speaking ``text``."""
    for tool in ("espeak-ng", "sox"):
        if not shutil.which(tool):
            raise RuntimeError(f"{tool} is missing: apt-get install espeak-ng sox")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(
            # "--": the text is never an option, even when it starts with "-" (-f<file> would
            # read a file aloud into the prompt).
            [
                "espeak-ng",
                "-v",
                "cmn-latn-pinyin",
                "-s",
                "150",
                "-w",
                str(raw),
                "--",
                speakable(text),
            ],  # fmt: skip
            check=True,
            capture_output=True,
        )
        to_phone_wav(raw, target, "norm", "-3")


def build_prompts(prompts: dict[str, str], folder: Path, custom: Path | None = None) -> list[str]:
    """Make every prompt that is missing or whose text changed; returns the names (re)made.

    A stamp beside each file remembers the text it was made from, so a second setup reuses it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name, text in prompts.items():
        target = folder / f"{name}.wav"
        recorded = custom / f"{name}.wav" if custom else None
        if recorded and recorded.exists():
            shutil.copyfile(recorded, target)
            continue
        stamp = folder / f".{name}.sha256"
        digest = hashlib.sha256(text.encode()).hexdigest()
        if target.exists() and stamp.exists() and stamp.read_text() == digest:
            continue
        synthesize(text, target)
        stamp.write_text(digest)
        made.append(name)
    return made
