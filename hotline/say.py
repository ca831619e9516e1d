"""The words Asterisk strings together to say a number in Chinese, for the queue's
announcements of a caller's place and expected wait (dialplans/queues.conf).

Asterisk's ``zh`` syntax (main/say.c) plays ``digits/0`` … ``digits/9``, the tens
``digits/10`` … ``digits/90``, and ``digits/hundred``, ``thousand``, ``wan`` (万) and ``yi``
(亿): 15 is 十 五, 105 is 一 百 零 五. Debian ships no Chinese sounds, so the words are made
like the IVR's prompts (synthesised, or a recording in ``custom/digits/<name>.wav``) into the
instance's prompts. Asterisk looks them up by name in its own sound folder for the channel's
language, which is inside the Asterisk root: they are copied there at every setup and after a
rebuild, the root being a cache that may be emptied.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from hotline.prompts import build_prompts
from hotline.settings import Settings

# The language the dialplan gives a queued caller's channel (CHANNEL(language)).
LANGUAGE = "zh"
_DIGITS = "零一二三四五六七八九"
NUMBER_WORDS = (
    {str(n): _DIGITS[n] for n in range(10)}
    | {str(n * 10): ("" if n == 1 else _DIGITS[n]) + "十" for n in range(1, 10)}
    | {"hundred": "百", "thousand": "千", "wan": "万", "yi": "亿"}
)


def words_dir(settings: Settings) -> Path:
    """Where the words are kept with the instance's other prompts (its state)."""
    return settings.in_chroot(settings.asterisk_prompts_dir) / "digits"


def root_words_dir(settings: Settings) -> Path:
    """Where Asterisk looks for them: ``sounds/<language>/digits`` in its data folder."""
    return settings.asterisk_root / "usr" / "share" / "asterisk" / "sounds" / LANGUAGE / "digits"


def build_number_words(settings: Settings, custom: Path) -> None:
    """Make the words that are missing or changed (cheap when done)."""
    build_prompts(NUMBER_WORDS, words_dir(settings), custom / "digits")


def install_number_words(settings: Settings) -> None:
    """Copy the instance's words where Asterisk finds them for a Chinese channel."""
    target = root_words_dir(settings)
    target.mkdir(parents=True, exist_ok=True)
    for name in NUMBER_WORDS:
        shutil.copyfile(words_dir(settings) / f"{name}.wav", target / f"{name}.wav")
        (target / f"{name}.wav").chmod(0o644)
