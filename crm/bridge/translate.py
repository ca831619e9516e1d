"""AMI event → typed call event, as a pure function over the event's headers.

Only events about a citizen's channel on the hotline matter: the caller's channel is the one
whose Uniqueid equals its Linkedid and whose dialplan context is one of ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from callmodel import events as ev

HOTLINE_CONTEXTS = ("hotline-inbound", "hotline-route", "hotline-hangup")
EMERGENCY_ENDPOINT = "PJSIP/emergency-110-"
QUEUE_PREFIX = "hotline-"


def _when(headers: Mapping[str, str]) -> datetime:
    """The event's own time (timestampevents=yes), else now."""
    stamp = headers.get("Timestamp")
    try:
        return datetime.fromtimestamp(float(stamp), UTC) if stamp else datetime.now(UTC)
    except ValueError:
        return datetime.now(UTC)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _queue(name: str | None) -> str | None:
    if not name:
        return None
    return name[len(QUEUE_PREFIX) :] if name.startswith(QUEUE_PREFIX) else name


def _interface(headers: Mapping[str, str]) -> str:
    return headers.get("Interface") or headers.get("MemberName") or ""


def _is_citizen_channel(headers: Mapping[str, str]) -> bool:
    uniqueid = headers.get("Uniqueid")
    return bool(uniqueid) and uniqueid == headers.get("Linkedid", uniqueid)


def translate(headers: Mapping[str, str]) -> ev.CallEvent | None:
    """The call event an AMI event means for the hotline, or ``None`` when it means nothing.

    Malformed or partial events (missing ids, junk numbers) also give ``None``: the bridge must
    never stop on one bad line.
    """
    name = headers.get("Event", "")
    uniqueid = headers.get("Uniqueid", "")
    if not uniqueid:
        return None
    common = {
        "uniqueid": uniqueid,
        "occurred_at": _when(headers),
        "caller_number": headers.get("CallerIDNum"),
    }
    match name:
        case "Newchannel" if headers.get("Context") == "hotline-inbound" and _is_citizen_channel(
            headers
        ):
            return ev.CallStarted(
                event_id=f"ami-start-{uniqueid}",
                linkedid=headers.get("Linkedid"),
                channel=headers.get("Channel"),
                caller_name=headers.get("CallerIDName") or None,
                dialled_number=headers.get("Exten"),
                **common,
            )
        case "QueueCallerJoin":
            queue = headers.get("Queue", "")
            return ev.QueueJoined(
                event_id=f"ami-join-{uniqueid}-{queue}",
                queue=_queue(queue) or queue,
                position=_int(headers.get("Position")),
                **common,
            )
        case "AgentCalled":
            interface = _interface(headers)
            # DestCallerIDNum is the hotline number; the citizen is the connected line.
            common["caller_number"] = headers.get("CallerIDNum") or headers.get(
                "DestConnectedLineNum"
            )
            return ev.AgentRinging(
                event_id=f"ami-ring-{uniqueid}-{interface}-{headers.get('DestUniqueid', '')}",
                queue=_queue(headers.get("Queue")),
                agent_interface=interface,
                **common,
            )
        case "AgentConnect":
            return ev.AgentAnswered(
                event_id=f"ami-answer-{uniqueid}",
                queue=_queue(headers.get("Queue")),
                agent_interface=_interface(headers),
                hold_seconds=_int(headers.get("HoldTime")),
                ring_seconds=_int(headers.get("RingTime")),
                **common,
            )
        case "AgentComplete":
            return ev.AgentCompleted(
                event_id=f"ami-complete-{uniqueid}",
                agent_interface=_interface(headers),
                hold_seconds=_int(headers.get("HoldTime")),
                talk_seconds=_int(headers.get("TalkTime")),
                reason=headers.get("Reason"),
                **common,
            )
        case "QueueCallerAbandon":
            return ev.QueueAbandoned(
                event_id=f"ami-abandon-{uniqueid}",
                queue=_queue(headers.get("Queue")),
                hold_seconds=_int(headers.get("HoldTime")),
                **common,
            )
        case "DialEnd" if headers.get("DestChannel", "").startswith(EMERGENCY_ENDPOINT):
            status = headers.get("DialStatus", "")
            return ev.EmergencyDialEnded(
                event_id=f"ami-110-{uniqueid}-{headers.get('DestUniqueid', '')}",
                dial_status=status,
                **common,
            )
        case "VarSet" if headers.get("Variable") == "MIXMONITOR_FILENAME" and _is_citizen_channel(
            headers
        ):
            path = headers.get("Value", "")
            if not path:
                return None
            return ev.RecordingStarted(event_id=f"ami-rec-{uniqueid}", path=path, **common)
        case "Hangup" if headers.get("Context", "") in HOTLINE_CONTEXTS and _is_citizen_channel(
            headers
        ):
            return ev.CallEnded(
                event_id=f"ami-end-{uniqueid}",
                hangup_cause=_int(headers.get("Cause")),
                **common,
            )
    return None
