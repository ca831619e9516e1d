"""Repeat repairs (重复报修): the same repair twice in a short period needs a leader's visit.

docs/hotline-rules.md, "Figures a supervisor is judged on": the repeat-repair rate counts the
same repair twice within a short period, and such a repair needs a leader's visit (领导回访).
"The same repair" is a help request (求助) of the same repair category (路灯, 供水, 井盖 …) at
the same place, once the first was fixed and closed: its caller was told the result (or it was
visited or archived), and no return visit said it was left unresolved. "A short period" is a
number of days from that close, a setting (``repairs.repeat_days``).

The same place is compared by a key of the address, so that the ways people say one address
(full-width digits, spaces, punctuation, 三号楼 / 3号楼 / 3栋) give one key; two addresses that
differ in any word stay two places: a missed repeat costs one alert, a false one sends a leader
to the wrong door. Pure functions, no database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from callmodel.calltypes import CallType, TicketStatus

# A short period, unless the site says otherwise (hotline/settings.py, ``repairs``).
DEFAULT_REPEAT_DAYS = 30
# The caller was told the repair is done (or later): the first repair counts as fixed and closed.
FIXED_AND_CLOSED = frozenset(
    {TicketStatus.CALLER_ANSWERED, TicketStatus.VISITED, TicketStatus.ARCHIVED}
)

_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
# A Chinese numeral written before a unit of an address (三号楼, 二单元, 五层).
_CN_NUMBER = re.compile(r"[〇零一二三四五六七八九]+(?=号|楼|栋|幢|单元|层|室|排|巷|弄|组|队)")
# Ways of naming a building that mean the same one.
_BUILDING = re.compile(r"(\d+)(?:号楼|栋|幢|座)")
_NOT_WORD = re.compile(r"[\W_]+")


def address_key(address: str | None) -> str:
    """The key an address is compared by ("" for none): the same place said another way gives
    the same key."""
    if not address:
        return ""
    text = unicodedata.normalize("NFKC", address).lower()
    text = _CN_NUMBER.sub(lambda m: m.group(0).translate(_CN_DIGITS), text)
    text = _BUILDING.sub(r"\1号楼", text)
    return _NOT_WORD.sub("", text)


def category_key(category: str | None) -> str:
    """The key a repair category is compared by ("" for none)."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", category or "")).lower()


@dataclass(frozen=True)
class Repair:
    """A help request as the rule sees it."""

    number: str
    call_type: CallType
    category: str
    address: str
    called_at: datetime
    status: TicketStatus = TicketStatus.REGISTERED
    closed_at: datetime | None = None
    unresolved: bool = False  # a return visit said the repair was not done


def is_repair(repair: Repair) -> bool:
    """A help request with a repair category and a place: the ones the rule compares."""
    return (
        repair.call_type is CallType.HELP
        and bool(category_key(repair.category))
        and bool(address_key(repair.address))
    )


def repeats(new: Repair, prior: Repair, days: int = DEFAULT_REPEAT_DAYS) -> bool:
    """``new`` is a repeat repair of ``prior``: same category and place, ``prior`` fixed and
    closed, and ``new`` reported within ``days`` of that close."""
    if not (is_repair(new) and is_repair(prior)) or new.number == prior.number:
        return False
    if category_key(new.category) != category_key(prior.category):
        return False
    if address_key(new.address) != address_key(prior.address):
        return False
    if prior.status not in FIXED_AND_CLOSED or prior.unresolved or prior.closed_at is None:
        return False
    return prior.closed_at <= new.called_at <= prior.closed_at + timedelta(days=days)


def repeated_repair(
    new: Repair, priors: list[Repair], days: int = DEFAULT_REPEAT_DAYS
) -> Repair | None:
    """The latest earlier repair ``new`` repeats, or None."""
    found = [p for p in priors if repeats(new, p, days)]
    return max(found, key=lambda p: p.closed_at or p.called_at) if found else None
