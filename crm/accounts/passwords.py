"""The password rule for staff accounts: long enough, not the person's own name, not guessable.

Strength is zxcvbn's estimate (PyPI ``zxcvbn``, the Python port of Dropbox's estimator, with its
own lists of common passwords, names, words, keyboard walks, dates and repeats): a password must
reach ``min_score`` (default 3, "safely unguessable": about 10^10 guesses). zxcvbn's lists are
English; the person's 工号, name and its pinyin, and a few words every hotline password is tempted
by (热线 and 12345 in pinyin and digits, the common Chinese number phrases) are given to it as
the user's own words, so ``wangfang2024`` or ``rexian12345`` score as weak as ``password1``.

This module only judges; it never stores, logs or returns the password.
"""

from __future__ import annotations

from pypinyin import lazy_pinyin
from zxcvbn import zxcvbn

MIN_LENGTH = 10
# zxcvbn only looks at the first characters; longer passwords are judged by their start.
JUDGED_LENGTH = 100
HOTLINE_WORDS = [
    "12345", "hotline", "rexian", "zhengwu", "bianmin", "fuwu", "shimin",
    "woaini", "aini", "5201314", "1314520", "1314", "520", "woaiwojia", "zhongguo",
]  # fmt: skip


def own_words(*names: str | None) -> list[str]:
    """The person's 工号 and name, with the name's pinyin (joined and by syllable)."""
    words: list[str] = []
    for name in names:
        if not name or not name.strip():
            continue
        words.append(name.strip())
        syllables = [s for s in lazy_pinyin(name.strip()) if s.isascii() and s.isalpha()]
        if syllables:
            words.append("".join(syllables))
            words.extend(s for s in syllables if len(s) > 2)
    return words


def password_problem(
    password: str, username: str, display_name: str | None = None, min_score: int = 3
) -> str | None:
    """Why this password is refused (Chinese, for the person choosing it), or None if it is
    acceptable."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 个字符"
    if not password.strip():
        return "密码不能全是空格"
    plain = password.strip().lower()
    if any(name and plain == name.strip().lower() for name in (username, display_name)):
        return "密码不能与工号或姓名相同"
    if len(set(password)) < 4:
        return "密码的字符种类太少，请不要使用重复的字符"
    words = own_words(username, display_name) + HOTLINE_WORDS
    result = zxcvbn(password[:JUDGED_LENGTH], user_inputs=words)
    if result["score"] < min_score:
        return (
            "密码太容易被猜到（常见密码、姓名或工号、键盘顺序、重复或日期），"
            "请使用更长、更不规律的密码，例如几个不相关的词组合"
        )
    return None
