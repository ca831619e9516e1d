"""Which numbers a call-back (回拨) may dial: a pure policy, no database, no AMI.

A call-back dials the number the caller presented, through the carrier trunk, at the
hotline's cost, after one click. A caller can present any number: an international
premium-rate one (wangiri, ``00882…``) or a service number would turn the click into toll
fraud. So only numbers a citizen of the mainland can have are called back: mobiles, fixed lines
with their area code, and local numbers of the hotline's own area (the patterns are settings,
``callback`` in hotline/settings.py). International numbers, premium-rate and service numbers
are refused with a message the agent can read, and the refusal is audited by the caller of
this module. It must never dial, log or touch the database itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from callmodel.phones import normalize_phone

# What a number may be written with besides digits; anything else (``*``, ``#``) is not dialled.
_WRITTEN = re.compile(r"[\d\s\-()+]*")


class CallbackNumberRefused(ValueError):
    """This number is not called back; the message (Chinese) says why."""


@dataclass(frozen=True)
class CallbackPolicy:
    """``allowed``: full-match patterns of national numbers that may be called back;
    ``refused``: patterns refused even when an allowed one matches (premium-rate, service)."""

    allowed: tuple[str, ...]
    refused: tuple[str, ...] = ()

    @classmethod
    def of(cls, allowed: Iterable[str], refused: Iterable[str] = ()) -> CallbackPolicy:
        return cls(tuple(allowed), tuple(refused))


def national(number: str) -> str:
    """The number as the carrier trunk dials it within the mainland: the caller key of
    callmodel/phones.py (a mainland number in national form, another country's in E.164)."""
    if not _WRITTEN.fullmatch(number):
        return number.strip()
    return normalize_phone(number) or ""


def dialable(number: str, policy: CallbackPolicy) -> str:
    """The national number to dial for a call-back to ``number``; ``CallbackNumberRefused``
    when the policy does not allow it."""
    plain = national(number)
    if not plain:
        raise CallbackNumberRefused("来电号码为空或无法识别，不能回拨")
    if plain.startswith(("+", "00")):
        raise CallbackNumberRefused(f"国际号码 {plain} 不予回拨（防止国际长途和高额收费诈骗）")
    if not plain.isdigit():
        raise CallbackNumberRefused(f"号码 {plain} 含有非数字字符，不能回拨")
    if any(re.fullmatch(pattern, plain) for pattern in policy.refused):
        raise CallbackNumberRefused(f"{plain} 是服务号码或收费号码，不予回拨")
    if not any(re.fullmatch(pattern, plain) for pattern in policy.allowed):
        raise CallbackNumberRefused(
            f"号码 {plain} 不在允许回拨的范围内（手机号、带区号的固定电话或本地号码）"
        )
    return plain
