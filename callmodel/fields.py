"""The value types every input of the hotline is made of: ids, names, texts, numbers, dates.

Each request body, query and path parameter of the CRM and each call event is declared with
these types, so one rule holds at every door: an id fits a 64-bit integer column (SQLite and
PostgreSQL alike), a text is non-empty after its surrounding spaces are stripped, bounded and
free of control characters (PostgreSQL refuses NUL, SQLite's full-text search stops at it), a
telephone number is made of digits, a date lies in this century. A value outside is refused with
422 before any service or database sees it; nothing is silently dropped (a contact number of
``abc`` is refused, not taken as "no contact").

They live on the ground floor because the call events (``callmodel.events``) use them as well
as the CRM's schemas. The constraints are pydantic's and ``annotated_types``', so they appear
in the OpenAPI document and hold in FastAPI's query and path parameters too.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

# The largest value of a signed 64-bit integer (SQLite INTEGER, PostgreSQL BIGINT).
MAX_ID = 2**63 - 1
MAX_INT32 = 2**31 - 1
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)

# One line of text: no control character at all.
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
# A text of several lines: tabs and line breaks, no other control character.
LINES = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# A word made by a machine: no space, no control character.
WORD = r"^[^\s\x00-\x1f\x7f]+$"
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]*$")
PHONE_DIGITS = (3, 20)


def _line(most: int) -> Any:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=most, pattern=ONE_LINE)


def _blank_is_none(value: object) -> object:
    """An optional field left empty in a form ("" or spaces) is the field not given."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _phone(value: str) -> str:
    digits = sum(c.isdigit() for c in value)
    low, high = PHONE_DIGITS
    if not _PHONE.match(value) or not low <= digits <= high:
        raise ValueError(f"电话号码须为 {low} 至 {high} 位数字（可含 +、空格、短横线）")
    return value


def _sane_moment(value: datetime) -> datetime:
    if not FIRST_DAY.year <= value.year <= LAST_DAY.year:
        raise ValueError(f"时间须在 {FIRST_DAY.year} 至 {LAST_DAY.year} 年之间")
    return value


# Ids of rows (path parameters and references in bodies).
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# Seconds, positions, causes: non-negative and within a 32-bit column.
Count = Annotated[int, Field(ge=0, le=MAX_INT32)]
Int32 = Annotated[int, Field(ge=-MAX_INT32 - 1, le=MAX_INT32)]
# A result limit of a list.
Limit = Annotated[int, Field(ge=1, le=1000)]

# A key made by a machine: event ids, Asterisk uniqueids, queue names, article slugs.
Key = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=WORD)
]
# A short code people give (unit code, category, dial status).
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=WORD)
]
# One line each, by the column it goes to: a person (工号, 姓名, reason), a thing (unit name,
# target of a complaint), a title or scope, a place (address, location), a search.
Name = Annotated[str, _line(64)]
Title = Annotated[str, _line(128)]
Label = Annotated[str, _line(200)]
Place = Annotated[str, _line(256)]
SearchText = Annotated[str, _line(200)]
# Several lines: a question, a reply, a result (4000 characters, a long call's worth); an
# article of the knowledge base.
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000, pattern=LINES)
]
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000, pattern=LINES)
]
# A telephone number as people write it: 13812345678, +86 138 1234 5678, 0471-6250000.
PhoneNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=32, pattern=_PHONE.pattern),
    AfterValidator(_phone),
]
# A service or special line's number: digits only (12345, 96128).
ServiceNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{3,16}$")]
# A path inside Asterisk's root (a recording): absolute, one line.
AsteriskPath = Annotated[
    str, StringConstraints(min_length=2, max_length=512, pattern=r"^/[^\x00-\x1f\x7f]*$")
]
# A China-local calendar day of a report (台账, figures) and a moment of a call event.
Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
Moment = Annotated[datetime, AfterValidator(_sane_moment)]

# The same, optional: an empty string counts as not given.
OptionalKey = Annotated[Key | None, BeforeValidator(_blank_is_none)]
OptionalName = Annotated[Name | None, BeforeValidator(_blank_is_none)]
OptionalCode = Annotated[Code | None, BeforeValidator(_blank_is_none)]
OptionalTitle = Annotated[Title | None, BeforeValidator(_blank_is_none)]
OptionalPlace = Annotated[Place | None, BeforeValidator(_blank_is_none)]
OptionalText = Annotated[Text | None, BeforeValidator(_blank_is_none)]
OptionalPhone = Annotated[PhoneNumber | None, BeforeValidator(_blank_is_none)]
OptionalServiceNumber = Annotated[ServiceNumber | None, BeforeValidator(_blank_is_none)]
