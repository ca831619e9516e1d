"""How every hotline process logs: one format, and no caller's full number in any line.

A log file outlives its purpose and is read by whoever fixes the machine, so what identifies a
caller never reaches it whole: every run of 7 to 15 digits (a phone number, with or without
``+``) is masked as the consoles mask it (138****1234), after the line and any traceback are
formatted, whatever logger wrote it (ours, uvicorn's, SQLAlchemy's). Asterisk's Uniqueids
(``1733051234.12``) and ticket numbers (``20261128-0001``) are ids, not people: they are left
as they are. What callers say is never given to a logger in the first place.
"""

from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_NUMBER = re.compile(r"(?<![\w.+-])(\+?)(\d{7,15})(?![\w]|[.:-]\d)")


def _masked(match: re.Match[str]) -> str:
    plus, digits = match.groups()
    return plus + digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_numbers(text: str) -> str:
    """``text`` with every phone number masked (138****1234)."""
    return _NUMBER.sub(_masked, text)


class MaskingFormatter(logging.Formatter):
    """The standard formatter, then the numbers masked (tracebacks included)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_numbers(super().format(record))


def configure(level: int = logging.INFO) -> None:
    """Log to standard error (supervisord's or journald's file) through the masking format."""
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
