"""Caller numbers in one canonical form, so repeat callers and chases are recognised.

Asterisk hands us CallerID as the trunk delivers it: ``+8613812345678``, ``008613812345678``,
``013812345678`` (trunk prefix) or a landline with area code ``0471-6250000``. We keep digits only,
drop the country code, and drop the trunk ``0`` before a mobile number. Landlines keep their area
code (``04716250000``): the same local number in two cities is two callers.
"""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"\D")


def normalize_phone(raw: str | None) -> str | None:
    """Canonical digits of a phone number, or None when nothing usable was given."""
    if raw is None:
        return None
    digits = _NON_DIGITS.sub("", raw)
    if raw.strip().startswith("+86") or digits.startswith("0086"):
        digits = digits[2:] if raw.strip().startswith("+86") else digits[4:]
    if len(digits) == 12 and digits.startswith("01"):
        digits = digits[1:]  # trunk prefix before a mobile number
    if len(digits) < 3:
        return None
    return digits


def mask_phone(number: str | None) -> str:
    """A number as shown where the caller's identity must not be disclosed (保密)."""
    if not number:
        return ""
    if len(number) <= 7:
        return "*" * max(len(number) - 4, 0) + number[-4:]
    return number[:3] + "*" * (len(number) - 7) + number[-4:]
