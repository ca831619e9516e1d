"""The call types (来电类型) and ticket states every part of the hotline speaks of."""

from __future__ import annotations

from enum import StrEnum


class CallType(StrEnum):
    """Every call ends up with exactly one type; the value is stored, the label is shown."""

    CONSULTATION = "consultation"
    HELP = "help"
    EMERGENCY = "emergency"
    COMPLAINT = "complaint"
    REPORT = "report"
    SUGGESTION = "suggestion"
    PRAISE = "praise"
    INVALID = "invalid"

    @property
    def label(self) -> str:
        return CALL_TYPE_LABELS[self]


CALL_TYPE_LABELS: dict[CallType, str] = {
    CallType.CONSULTATION: "咨询",
    CallType.HELP: "求助",
    CallType.EMERGENCY: "紧急求助",
    CallType.COMPLAINT: "投诉",
    CallType.REPORT: "举报",
    CallType.SUGGESTION: "意见建议",
    CallType.PRAISE: "表扬",
    CallType.INVALID: "无效",
}


class TicketStatus(StrEnum):
    """Where a ticket (定单) stands in its lifecycle."""

    REGISTERED = "registered"
    ANSWERED = "answered"
    DISPATCHED = "dispatched"
    REPLIED = "replied"
    CALLER_ANSWERED = "caller_answered"
    VISITED = "visited"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return TICKET_STATUS_LABELS[self]


TICKET_STATUS_LABELS: dict[TicketStatus, str] = {
    TicketStatus.REGISTERED: "已登记",
    TicketStatus.ANSWERED: "已答复",
    TicketStatus.DISPATCHED: "已派单",
    TicketStatus.REPLIED: "单位已反馈",
    TicketStatus.CALLER_ANSWERED: "已答复来电人",
    TicketStatus.VISITED: "已回访",
    TicketStatus.ARCHIVED: "已归档",
}
