"""What each role may see of callers: the one place that masks numbers in every payload.

Agents, shift leaders, reviewers and the hotline leader handle callers and see their numbers;
quality supervisors (质检), admins and member units see them masked (138****1234). A report
(举报) is confidential: its caller is masked for anyone but the hotline leader and its assigned
reviewer (crm.domain.access.can_read). ``redact`` walks a whole JSON payload, so HTTP answers
and WebSocket frames pass through the same function and nothing slips out in a nested field.
"""

from __future__ import annotations

from typing import Any

from callmodel.calltypes import CallType
from callmodel.phones import mask_phone
from crm.domain.access import OrderVisibility, Role, Viewer, can_read

SEES_NUMBERS = frozenset({Role.AGENT, Role.SHIFT_LEADER, Role.REVIEWER, Role.HOTLINE_LEADER})
# What a report's non-readers see instead of its content.
CONFIDENTIAL_TEXT = frozenset({"question", "content", "target", "location", "result"})
CONFIDENTIAL_NOTE = "举报件，内容保密"
PHONE_KEYS = frozenset(
    {"caller_number", "contact_number", "phone", "callback_number", "contact", "caller_display"}
)
# What a number tells of where its caller lives (归属地) is kept from those who may not see the
# number (docs/hotline-rules.md, Handling principles, 4: identity, number and address).
AREA_KEYS = frozenset({"caller_area"})


def sees_numbers(viewer: Viewer) -> bool:
    return bool(viewer.roles & SEES_NUMBERS)


def sees_order_caller(viewer: Viewer, call_type: str | None, reviewer: str | None) -> bool:
    if call_type == CallType.REPORT.value:
        return can_read(viewer, OrderVisibility(CallType.REPORT, assigned_reviewer=reviewer))
    return sees_numbers(viewer)


def _masked(key: str, value: Any) -> Any:
    if isinstance(value, str) and key in PHONE_KEYS:
        return mask_phone(value)
    if isinstance(value, str) and key in AREA_KEYS:
        return ""
    return mask_all(value)


def mask_all(payload: Any) -> Any:
    """The payload with every phone-number field masked (recursively)."""
    if isinstance(payload, dict):
        return {k: _masked(k, v) for k, v in payload.items()}
    if isinstance(payload, list):
        return [mask_all(v) for v in payload]
    return payload


def seal(payload: Any) -> Any:
    """A report's payload without its content (question, target, replies …), for lists: a
    reader sees that the report exists and opens it to read it, and that opening is the one
    audited read (a list load is not, or the audit would drown in rows no one can read)."""
    if isinstance(payload, dict):
        return {
            k: (CONFIDENTIAL_NOTE if k in CONFIDENTIAL_TEXT and v else seal(v))
            for k, v in payload.items()
        }
    if isinstance(payload, list):
        return [seal(v) for v in payload]
    return payload


def redact(viewer: Viewer, payload: Any) -> Any:
    """Mask callers' numbers for this viewer; confidential items (``_confidential``) per item."""
    if isinstance(payload, dict):
        if payload.get("_confidential") and not sees_order_caller(
            viewer, CallType.REPORT.value, payload.get("_reviewer")
        ):
            return mask_all(seal({k: v for k, v in payload.items() if not k.startswith("_")}))
        hidden = not sees_numbers(viewer)
        return {
            k: (
                _masked(k, v)
                if hidden and k in PHONE_KEYS | AREA_KEYS and isinstance(v, str)
                else redact(viewer, v)
            )
            for k, v in payload.items()
            if not k.startswith("_")
        }
    if isinstance(payload, list):
        return [redact(viewer, v) for v in payload]
    return payload
