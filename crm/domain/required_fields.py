"""What the registration form must hold per call type (docs/hotline-rules.md,
"Type-specific rules").

The agent console marks these on the form: what the agent must ask the caller for. A
registration that still lacks one is not refused for it: ``crm.domain.classification`` applies
the rule that follows from what is missing (求助 without a contact becomes 意见建议, 投诉 without
a target is recorded as not forwardable), the same for the console and the API.
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
