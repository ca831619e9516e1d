"""Typed call events: what the FastAGI server and the AMI bridge tell the CRM.

Each event carries an ``event_id`` chosen by its producer; the CRM applies an id once, so a
producer may resend (after a timeout, a restart, an outage) without duplicating anything.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from callmodel.fields import AsteriskPath, Count, Int32, Moment

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _without_control(value: object) -> object:
    if isinstance(value, str):
        return _CONTROL.sub("", value)
    if isinstance(value, list):
        return [_CONTROL.sub("", v) if isinstance(v, str) else v for v in value]
    return value


class _CallEvent(BaseModel):
    event_id: str = Field(min_length=1, max_length=64)
    uniqueid: str = Field(min_length=1, max_length=64)
    occurred_at: Moment
    # Every producer that knows the caller's number sends it: the first event to arrive
    # makes the ticket, and it should carry the number whichever event that is.
    caller_number: str | None = Field(None, max_length=64)

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: object) -> object:
        """Texts of an event come from SIP and AMI (a caller's name may carry CR/LF or NUL):
        control characters are dropped, not refused, so the call's record is kept whatever the
        caller sent, and no NUL reaches PostgreSQL."""
        if not isinstance(data, dict):
            return data
        return {key: _without_control(value) for key, value in data.items()}


class CallStarted(_CallEvent):
    """A citizen's call reached the hotline; the ticket is made from this."""

    kind: Literal["call_started"] = "call_started"
    linkedid: str | None = None
    channel: str | None = None
    caller_name: str | None = None
    dialled_number: str | None = None


class CallRouted(_CallEvent):
    """The IVR decided where the call goes."""

    kind: Literal["call_routed"] = "call_routed"
    # ``blocked``: a listed harassing number heard the blocklist message and was hung up.
    route: Literal["emergency", "queue", "blocked"]
    queue: str | None = None
    priority: Int32 = 0
    call_type: str | None = None
    reason: str
    key: str | None = None
    label: str | None = None
    ivr_path: list[str] = Field(default_factory=list)
    urgent_words: list[str] = Field(default_factory=list)
    # Routed by the dialplan's own menu: the FastAGI server did not answer.
    ivr_fallback: bool = False


class QueueJoined(_CallEvent):
    kind: Literal["queue_joined"] = "queue_joined"
    queue: str
    position: Count | None = None


class AgentRinging(_CallEvent):
    """An agent's phone rings for this call: the moment of the screen pop."""

    kind: Literal["agent_ringing"] = "agent_ringing"
    queue: str | None = None
    agent_interface: str


class AgentAnswered(_CallEvent):
    kind: Literal["agent_answered"] = "agent_answered"
    queue: str | None = None
    agent_interface: str
    hold_seconds: Count | None = None
    ring_seconds: Count | None = None


class AgentCompleted(_CallEvent):
    kind: Literal["agent_completed"] = "agent_completed"
    agent_interface: str
    hold_seconds: Count | None = None
    talk_seconds: Count | None = None
    reason: str | None = None


class QueueAbandoned(_CallEvent):
    kind: Literal["queue_abandoned"] = "queue_abandoned"
    queue: str | None = None
    hold_seconds: Count | None = None


class EmergencyDialStarted(_CallEvent):
    """110 is being rung for this call (Asterisk's own DialBegin: seen even when the FastAGI
    server, and so the IVR's CallRouted, is down)."""

    kind: Literal["emergency_dial_started"] = "emergency_dial_started"


class EmergencyDialEnded(_CallEvent):
    kind: Literal["emergency_dial_ended"] = "emergency_dial_ended"
    dial_status: str


class RecordingStarted(_CallEvent):
    kind: Literal["recording_started"] = "recording_started"
    path: AsteriskPath


class CallEnded(_CallEvent):
    """The caller's channel hung up; the facts the dialplan kept about the call."""

    kind: Literal["call_ended"] = "call_ended"
    route: Literal["emergency", "queue", "blocked"] | None = None
    hangup_cause: Int32 | None = None
    dial_status: str | None = None
    queue_status: str | None = None
    agent_interface: str | None = None
    hold_seconds: Count | None = None
    talk_seconds: Count | None = None
    emergency_failed: str | None = None
    recording_path: AsteriskPath | None = None
    ivr_fallback: bool = False
    # The caller hung up with their place in the queue kept, to be called back (虚拟排队).
    place_kept: bool = False
    # The caller left a voice message after the queue's longest wait.
    voice_message: bool = False


class KeptPlaceCalled(_CallEvent):
    """An agent took a caller's kept place and the hotline rang the caller (the dialplan's
    UserEvent at the end of that call): how the caller's leg ended."""

    kind: Literal["kept_place_called"] = "kept_place_called"
    dial_status: str = Field(max_length=32)
    talk_seconds: Count | None = None


CallEvent = Annotated[
    CallStarted
    | CallRouted
    | QueueJoined
    | AgentRinging
    | AgentAnswered
    | AgentCompleted
    | QueueAbandoned
    | EmergencyDialStarted
    | EmergencyDialEnded
    | RecordingStarted
    | CallEnded
    | KeptPlaceCalled,
    Field(discriminator="kind"),
]


class CallbackFinished(BaseModel):
    """A call-back's result: the dialplan's UserEvent at its end, or Asterisk's failed
    OriginateResponse when the agent's own phone did not answer (see crm/callbacks/)."""

    model_config = ConfigDict(frozen=True)

    attempt: int
    status: str
    talk_seconds: Count | None = None
    recording: str | None = None
    # The channel that reported it (the UserEvent's Uniqueid); None for an OriginateResponse,
    # which answers the CRM's own action. Only the channel originated for the attempt counts.
    channel: str | None = None
    from_dialplan: bool = True


def talk_seconds(ended_epoch: float, queued_epoch: float | None, hold_seconds: int | None) -> int:
    """Talk time when only the dialplan's clock is known: end − queue entry − hold time."""
    if queued_epoch is None:
        return 0
    return max(0, int(round(ended_epoch - queued_epoch - (hold_seconds or 0))))
