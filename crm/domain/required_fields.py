"""What the registration form must hold per call type (docs/hotline-rules.md,
"Type-specific rules").

The agent console shows these as required before a ticket is registered, and the server refuses
a registration without them. ``crm.domain.classification`` then applies the rules that follow
from what is (still) missing, e.g. 求助 without a contact becomes 建议.
"""

from __future__ import annotations

from collections.abc import Mapping

from callmodel.calltypes import CallType

REQUIRED_FIELDS: dict[str, list[str]] = {
    CallType.CONSULTATION.value: ["question"],
    CallType.HELP.value: ["question", "contact_number", "location"],
    CallType.EMERGENCY.value: ["question", "contact_number", "location"],
    CallType.COMPLAINT.value: ["question", "contact_number", "target"],
    CallType.REPORT.value: ["question", "contact_number", "target"],
    CallType.SUGGESTION.value: ["question"],
    CallType.PRAISE.value: ["question"],
    CallType.INVALID.value: ["question"],
}

# The name of each form field in the console's text bundle (crm/text.py).
FIELD_LABELS = {
    "question": "content",
    "contact_number": "contact",
    "location": "location",
    "target": "target",
}


def missing_fields(call_type: CallType, values: Mapping[str, object]) -> list[str]:
    """The required fields of this call type that ``values`` leaves empty, in form order."""
    return [f for f in REQUIRED_FIELDS[call_type.value] if not str(values.get(f) or "").strip()]
