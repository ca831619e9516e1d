"""Rules for the record of a call: numbers, ticket numbers, outcomes, call-backs, emergencies.

Pure functions over plain values; ``crm.calls.services`` applies them to the database.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from callmodel.phones import normalize_phone

ANONYMOUS = "anonymous"


class CallOutcome(StrEnum):
    IN_IVR = "in_ivr"
    QUEUED = "queued"
    RINGING_110 = "ringing_110"
    ANSWERED = "answered"
    TRANSFERRED_110 = "transferred_110"
    ABANDONED_IN_IVR = "abandoned_ivr"
    ABANDONED_IN_QUEUE = "abandoned_queue"
    ABANDONED_DURING_110 = "abandoned_110"
    # 虚拟排队: hung up with the place kept; then rung back when an agent took it.
    PLACE_KEPT = "place_kept"
    KEPT_PLACE_UNANSWERED = "kept_place_unanswered"
    # Waited the queue's longest wait, then left a voice message.
    VOICE_MESSAGE = "voice_message"
    BLOCKLISTED = "blocklisted"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]

    @property
    def is_abandoned(self) -> bool:
        return self in (
            CallOutcome.ABANDONED_IN_IVR,
            CallOutcome.ABANDONED_IN_QUEUE,
            CallOutcome.ABANDONED_DURING_110,
        )


OUTCOME_LABELS = {
    CallOutcome.IN_IVR: "语音导航中",
    CallOutcome.QUEUED: "排队中",
    CallOutcome.RINGING_110: "正在转接110",
    CallOutcome.ANSWERED: "已接听",
    CallOutcome.TRANSFERRED_110: "已转110",
    CallOutcome.ABANDONED_IN_IVR: "导航中挂机",
    CallOutcome.ABANDONED_IN_QUEUE: "排队中放弃",
    CallOutcome.ABANDONED_DURING_110: "转接110时挂机",
    CallOutcome.PLACE_KEPT: "保留排队位置，待回电",
    CallOutcome.KEPT_PLACE_UNANSWERED: "保留位置回电未接通",
    CallOutcome.VOICE_MESSAGE: "等待过久后留言",
    CallOutcome.BLOCKLISTED: "骚扰号码，已提示并录音",
}

# What the hotline leader is told of a 110 dial that did not connect (Asterisk's DIALSTATUS).
DIAL_STATUS_LABELS = {
    "BUSY": "110占线",
    "NOANSWER": "110无人接听",
    "CONGESTION": "110线路拥塞",
    "CHANUNAVAIL": "110线路不可用",
    "CANCEL": "来电人在转接110时挂机",
}


def normalise_number(raw: str | None) -> str:
    """The caller's number in the one form tickets are matched by (see ``normalize_phone``);
    withheld or unusable numbers become ``anonymous``, which is never linked to anyone."""
    return normalize_phone(raw) or ANONYMOUS


def is_known_number(number: str) -> bool:
    """A number that identifies a caller (anonymous calls have no history to link)."""
    return number != ANONYMOUS


def ticket_number(day: date, sequence: int) -> str:
    """Readable ticket numbers: the local date and a 4-digit daily sequence (20261128-0001)."""
    if sequence < 1:
        raise ValueError("ticket sequences start at 1")
    return f"{day:%Y%m%d}-{sequence:04d}"


def outcome_at_end(
    *,
    route: str | None,
    dial_status: str | None,
    agent_answered: bool,
    queued: bool = False,
) -> CallOutcome:
    """How a finished call ended, from what the dialplan and the queue reported. An urgent
    caller who hung up before 110 answered, and before the fallback queue, gave up on 110:
    not "in the queue" (they never were)."""
    if route == "emergency" and dial_status == "ANSWER":
        return CallOutcome.TRANSFERRED_110
    if route == "blocked":
        return CallOutcome.BLOCKLISTED
    if agent_answered:
        return CallOutcome.ANSWERED
    if route is None:
        return CallOutcome.ABANDONED_IN_IVR
    if route == "emergency" and not queued:
        return CallOutcome.ABANDONED_DURING_110
    return CallOutcome.ABANDONED_IN_QUEUE


def needs_callback(outcome: CallOutcome, caller_number: str) -> bool:
    """未接来电尽快回拨: every caller who gave up before a person answered is called back, and
    so is one whose kept place reached an agent but who did not answer the hotline's call, and
    one who left a voice message after the longest wait."""
    missed = outcome.is_abandoned or outcome in (
        CallOutcome.KEPT_PLACE_UNANSWERED,
        CallOutcome.VOICE_MESSAGE,
    )
    return missed and is_known_number(caller_number)
