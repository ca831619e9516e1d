"""Every CRM model, imported here so Alembic and the app see one metadata."""

from crm.models.base import Base
from crm.models.calls import (
    AgentState,
    Alert,
    Call,
    CallbackAttempt,
    IngestedEvent,
    Ticket,
    TicketCounter,
)

__all__ = [
    "AgentState",
    "Alert",
    "Base",
    "Call",
    "CallbackAttempt",
    "IngestedEvent",
    "Ticket",
    "TicketCounter",
]

# The work-order rules' tables.
from crm.models.knowledge import KbAnswer, KbArticle, SpecialLineEntry  # noqa: E402
from crm.models.workorders import (  # noqa: E402
    AuditEntry,
    Caller,
    ReturnVisit,
    StaffUser,
    TicketDetail,
    Unit,
    UnitReply,
    WorkOrder,
)

__all__ += [
    "AuditEntry",
    "Caller",
    "KbAnswer",
    "KbArticle",
    "ReturnVisit",
    "SpecialLineEntry",
    "StaffUser",
    "TicketDetail",
    "Unit",
    "UnitReply",
    "WorkOrder",
]

# Speech: transcription jobs (asr/jobs.py) bound to this Base.
from crm.models.transcripts import TranscriptionJob  # noqa: E402

__all__ += ["TranscriptionJob"]

# The consoles: sign-in credentials and kept versions of the edited telephony files.
from crm.models.accounts import ApiToken, SignInAttempt, WebCredential  # noqa: E402
from crm.models.config_versions import ConfigVersion  # noqa: E402

__all__ += ["ApiToken", "ConfigVersion", "SignInAttempt", "WebCredential"]

# The call-emergency plan: post-event summaries and the harassment blocklist.
from crm.models.emergency import BlockedNumber, EmergencySummary  # noqa: E402

__all__ += ["BlockedNumber", "EmergencySummary"]
