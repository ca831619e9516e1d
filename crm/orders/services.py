"""The orders capability's service API: tickets through their lifecycle, by stage.

Every function loads the rows, asks ``crm.domain`` (classification, deadlines, lifecycle, repeat
rules), writes the outcome and one audit entry with the acting user. None commits: the caller
owns the transaction (``crm.db.transaction`` or the API's per-request session). The stages live
in their own modules: ``registration``, ``repeat_calls``, ``stages``, ``visibility``, with
``tickets`` (lookups and ``transition``) and ``numbering`` beneath them.
"""

from __future__ import annotations

from crm.orders.registration import (
    RegistrationForm,
    archive_emergency,
    register_ticket,
)
from crm.orders.repeat_calls import (
    create_repeat_ticket,
    handle_repeat_call,
    latest_prior_ticket,
)
from crm.orders.stages import (
    answer_caller,
    answer_from_kb,
    archive,
    auto_archive,
    complaint_units,
    dispatch,
    hand_over,
    open_work_order,
    record_unit_reply,
    return_visit,
)
from crm.orders.tickets import (
    EFFICIENCY_UNIT_CODE,
    SYSTEM,
    at_or_now,
    called_at,
    deadlines_of,
    get_detail,
    get_ticket,
    order_facts,
    raise_alert,
    require_role,
    transition,
    visibility,
)
from crm.orders.visibility import (
    ReadRefused,
    check_read,
    keep_refusal,
    may_read,
    read_ticket,
    ticket_visibility,
)

__all__ = [
    "EFFICIENCY_UNIT_CODE",
    "ReadRefused",
    "SYSTEM",
    "RegistrationForm",
    "answer_caller",
    "answer_from_kb",
    "archive",
    "archive_emergency",
    "at_or_now",
    "auto_archive",
    "called_at",
    "check_read",
    "complaint_units",
    "create_repeat_ticket",
    "deadlines_of",
    "dispatch",
    "get_detail",
    "get_ticket",
    "hand_over",
    "keep_refusal",
    "handle_repeat_call",
    "latest_prior_ticket",
    "may_read",
    "open_work_order",
    "order_facts",
    "raise_alert",
    "read_ticket",
    "record_unit_reply",
    "register_ticket",
    "require_role",
    "return_visit",
    "ticket_visibility",
    "transition",
    "visibility",
]
