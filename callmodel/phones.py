"""Caller numbers in one canonical form, so repeat callers and chases are recognised.

Asterisk hands us CallerID as the trunk delivers it (``+8613812345678``, ``008613812345678``,
``8613812345678``, ``013812345678`` with a trunk prefix, ``+864716250000``) and agents type
contact numbers as people write them (``0471-6250000``, ``138 1234 5678``). One caller must be
one number whatever the form, or repeat calls (重复来电) and chases (催单) are missed
(docs/hotline-rules.md, "Chases"). The rules of the numbering plan are the ``phonenumbers``
library's (Google's libphonenumber metadata), not ours.

The key a number is stored and matched by is its mainland national form in digits: the trunk
prefix and the area code of a fixed line, then the subscriber number (``04716250000``,
``13812345678``): what staff read and dial, and one-to-one with E.164 (``+864716250000``) for
every mainland number. A number of another country is kept in E.164 (``+14155550100``), so it
never looks like a mainland one. A number the plan does not know (a local number given
without its area code, ``6250000``; a service code, ``110``, ``12345``) keeps its digits: it is
still a caller to link, it just has no area. Nothing here raises on junk: an unusable value
is ``None``.

This module must never touch the database or the network: it only describes numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType, geocoder

REGION = "CN"
MAINLAND_CODE = 86
# Fewer digits than a service code (110) identify no one.
_MIN_DIGITS = 3
# A value with a letter is not a number (``anonymous``, ``unknown``); phonenumbers would read
# letters as a keypad's (1-800-FLOWERS), which a withheld caller ID must never become.
_LETTERS = re.compile(r"[^\W\d_]")
# A local subscriber number given without its area code: 7 or 8 digits, not 0 or 1 first.
_LOCAL = re.compile(r"[2-9]\d{6,7}")

MOBILE = "mobile"
FIXED = "fixed"
_LINES = {
    PhoneNumberType.MOBILE: MOBILE,
    PhoneNumberType.FIXED_LINE: FIXED,
}


@dataclass(frozen=True)
class PhoneInfo:
    """What the screen pop tells the agent about a number: the key it is stored by, its E.164
    form (when the numbering plan knows it), how it is written for people, whether it is a
    mobile or a fixed line, and its home area (归属地: the province and city of a mobile's
    number block, the city of a fixed line's area code)."""

    number: str
    e164: str | None
    display: str
    line: str | None
    area: str


def _parse(raw: str) -> phonenumbers.PhoneNumber | None:
    if _LETTERS.search(raw):
        return None
    try:
        return phonenumbers.parse(raw, REGION)
    except phonenumbers.NumberParseException:
        return None


def _key(parsed: phonenumbers.PhoneNumber) -> str:
    if parsed.country_code == MAINLAND_CODE:
        return phonenumbers.normalize_digits_only(
            phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL)
        )
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)


def _explicit_country(raw: str) -> bool:
    """The number was written with a country code (+…, or the 00 international prefix)."""
    return raw.lstrip().startswith(("+", "00"))


def normalize_phone(raw: str | None) -> str | None:
    """The key a caller is stored and matched by, or None when nothing usable was given."""
    if raw is None:
        return None
    parsed = _parse(raw)
    if parsed is not None and phonenumbers.is_valid_number(parsed):
        return _key(parsed)
    if parsed is not None and _explicit_country(raw):
        if parsed.country_code != MAINLAND_CODE:
            # An international number the plan does not know: kept recognisably foreign, so a
            # call-back refuses it (crm/domain/callback_numbers.py).
            return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
        digits = str(parsed.national_number)
    else:
        digits = phonenumbers.normalize_digits_only(raw)
    return digits if len(digits) >= _MIN_DIGITS else None


def phone_info(raw: str | None) -> PhoneInfo | None:
    """Type and home area of a number, for the screen pop; None for no usable number (or one
    already masked by the retention purge)."""
    if raw is not None and "*" in raw:
        return None
    number = normalize_phone(raw)
    if number is None:
        return None
    parsed = _parse(number)
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        # A local number without its area code is a fixed line of the hotline's own area.
        line = FIXED if _LOCAL.fullmatch(number) else None
        return PhoneInfo(number=number, e164=None, display=number, line=line, area="")
    if parsed.country_code == MAINLAND_CODE:
        display = phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL)
    else:
        display = phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
    return PhoneInfo(
        number=number,
        e164=phonenumbers.format_number(parsed, PhoneNumberFormat.E164),
        display=display,
        line=_LINES.get(phonenumbers.number_type(parsed)),
        area=geocoder.description_for_number(parsed, "zh"),
    )


def caller_facts(raw: str | None) -> dict[str, str | None]:
    """The fields a pop and a call carry beside the caller's number: home area (归属地, "" when
    unknown), ``mobile`` / ``fixed`` (None when neither) and the number as written for people."""
    info = phone_info(raw)
    if info is None:
        return {"caller_area": "", "caller_line": None, "caller_display": raw or ""}
    return {"caller_area": info.area, "caller_line": info.line, "caller_display": info.display}


def mask_phone(number: str | None) -> str:
    """A number as shown where the caller's identity must not be disclosed (保密)."""
    if not number:
        return ""
    if len(number) <= 7:
        return "*" * max(len(number) - 4, 0) + number[-4:]
    return number[:3] + "*" * (len(number) - 7) + number[-4:]
