"""AMI event → typed event, as a pure function over the event's headers.

Only events about a citizen's channel on the hotline matter (the caller's channel is the one
whose Uniqueid equals its Linkedid and whose dialplan context is one of ours), and the results
of call-backs (the dialplan's UserEvent, a failed Originate). Names come from the dialplan
contract (callmodel/dialplan.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from callmodel import dialplan
from callmodel import events as ev
from callmodel.calltypes import CallType

log = logging.getLogger(__name__)

# A call-back's status when the agent's own phone did not answer (Asterisk has no word for it).
AGENT_NO_ANSWER = "AGENT_NOANSWER"
EMERGENCY_CHANNEL = f"PJSIP/{dialplan.EMERGENCY_ENDPOINT}-"


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


def _interface(headers: Mapping[str, str]) -> str:
    return headers.get("Interface") or headers.get("MemberName") or ""


def _is_citizen_channel(headers: Mapping[str, str]) -> bool:
    uniqueid = headers.get("Uniqueid")
    return bool(uniqueid) and uniqueid == headers.get("Linkedid", uniqueid)


AmiEvent = ev.CallEvent | ev.CallbackFinished


def callback_finished(headers: Mapping[str, str]) -> ev.CallbackFinished | None:
    """A call-back's result from the dialplan's UserEvent, or from Asterisk's OriginateResponse
    when the agent's phone did not answer; None for any other event."""
    event = headers.get("Event")
    if event == "UserEvent" and headers.get("UserEvent") == dialplan.CALLBACK_USEREVENT:
        attempt, status, talk = (
            headers.get("Attempt"),
            headers.get("Status", ""),
            headers.get("Talk"),
        )
        talk_seconds = int(talk) if talk and talk.isdigit() else None
        recording = headers.get("Recording") or None
        channel, from_dialplan = headers.get("Uniqueid"), True
    elif event == "OriginateResponse" and headers.get("Response") == "Failure":
        action_id = headers.get("ActionID") or ""
        if not action_id.startswith(dialplan.CALLBACK_ACTION_PREFIX):
            return None
        attempt = action_id.removeprefix(dialplan.CALLBACK_ACTION_PREFIX)
        status, talk_seconds, recording = AGENT_NO_ANSWER, None, None
        channel, from_dialplan = None, False
    else:
        return None
    if not attempt or not attempt.isdigit():
        log.warning("call-back result without a valid attempt: %r", dict(headers))
        return None
    return ev.CallbackFinished(
        attempt=int(attempt),
        status=status.strip().upper(),
        talk_seconds=talk_seconds,
        recording=recording,
        channel=channel,
        from_dialplan=from_dialplan,
    )


_MENU_QUEUE = re.compile(r"[a-z0-9_-]{1,32}")
_MENU_KEY = re.compile(r"[0-9*#]?")


def menu_routed(headers: Mapping[str, str]) -> ev.CallRouted | None:
    """The route a caller chose in the dialplan's own menu (the FastAGI server down), from its
    UserEvent on the caller's channel in [hotline-route]: the same CallRouted the IVR sends,
    so the ticket keeps its call type and queue. Anything else (another channel, a value the
    menu cannot have rendered) is ignored. The event's own headers never reuse a name of the
    channel's (``Priority`` is the dialplan's): a repeated header is refused as forged."""
    uniqueid = headers.get("Uniqueid", "")
    queue, key = headers.get("Queue", ""), headers.get("Key", "")
    call_type = headers.get("CallType") or None
    priority = _int(headers.get("QueuePriority")) or 0
    if (
        headers.get("Context") != dialplan.ROUTE_CONTEXT
        or not _is_citizen_channel(headers)
        or headers.get("Route") != "queue"
        or not _MENU_QUEUE.fullmatch(queue)
        or not _MENU_KEY.fullmatch(key)
        or (call_type is not None and call_type not in set(CallType))
    ):
        log.warning("AMI: ignored a dialplan-menu route event on %s", uniqueid or "no channel")
        return None
    return ev.CallRouted(
        event_id=f"ami-menu-{uniqueid}",
        uniqueid=uniqueid,
        occurred_at=_when(headers),
        caller_number=headers.get("CallerIDNum"),
        route="queue",
        queue=queue,
        priority=priority,
        call_type=call_type,
        reason=f"dialplan menu key {key}" if key else "dialplan menu, no key",
        key=key or None,
        ivr_path=[key] if key else [],
        ivr_fallback=True,
    )


def _enters_the_hotline(headers: Mapping[str, str]) -> bool:
    return headers.get("Context") == dialplan.INBOUND_CONTEXT and _is_citizen_channel(headers)


def forged(headers: Mapping[str, object]) -> bool:
    """True for an event that names a header twice. Asterisk copies a caller's raw number into
    the first events of a new channel; a line break in it adds lines of the caller's choice
    (``Uniqueid: …``, ``Attempt: …``), which panoramisk reads as a second value of that header.
    No event the hotline reads has a header twice, so such an event is believed in nothing."""
    return any(isinstance(value, list) for value in headers.values())


_UNIQUEID = re.compile(r"\d{1,20}\.\d{1,10}")


def _kept_call(headers: Mapping[str, str]) -> str | None:
    """The call whose kept place this channel holds (虚拟排队): the Local channel in
    [hotline-virtual-queue] has the kept call's Uniqueid as its extension, which the dialplan
    set and no caller can."""
    if headers.get("Context") != dialplan.VIRTUAL_QUEUE_CONTEXT:
        return None
    exten = headers.get("Exten", "")
    return exten if _UNIQUEID.fullmatch(exten) else None


def kept_place_called(headers: Mapping[str, str]) -> ev.KeptPlaceCalled | None:
    """How the hotline's call to a caller whose place was kept ended, from the UserEvent of
    [hotline-virtual-dial]; an event from any other context is not believed."""
    of = headers.get("Of", "")
    if headers.get("Context") != dialplan.VIRTUAL_DIAL_CONTEXT or not _UNIQUEID.fullmatch(of):
        return None
    talk = headers.get("Talk", "")
    return ev.KeptPlaceCalled(
        event_id=f"ami-kept-{of}",
        uniqueid=of,
        occurred_at=_when(headers),
        dial_status=headers.get("Status", "").strip().upper()[:32] or "NOANSWER",
        talk_seconds=int(talk) if talk.isdigit() else None,
    )


def translate(headers: Mapping[str, str]) -> AmiEvent | None:
    """The event an AMI event means for the hotline, or ``None`` when it means nothing.

    Malformed or partial events (missing ids, junk numbers, a header given twice) also give
    ``None``: the bridge must never stop on one bad line.
    """
    if forged(headers):
        log.warning("AMI: ignored a %s event that names a header twice", headers.get("Event"))
        return None
    name = headers.get("Event", "")
    if name == "UserEvent" and headers.get("UserEvent") == dialplan.ROUTED_USEREVENT:
        return menu_routed(headers)
    if name == "UserEvent" and headers.get("UserEvent") == dialplan.VIRTUAL_USEREVENT:
        return kept_place_called(headers)
    if name in ("UserEvent", "OriginateResponse"):
        return callback_finished(headers)
    # A kept place's queue events are the kept call's: its ticket pops to the agent.
    uniqueid = _kept_call(headers) or headers.get("Uniqueid", "")
    if not uniqueid:
        return None
    common = {
        "uniqueid": uniqueid,
        "occurred_at": _when(headers),
        "caller_number": headers.get("CallerIDNum"),
    }
    match name:
        case "Newchannel" if _enters_the_hotline(headers):
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
                queue=dialplan.menu_queue(queue) or queue,
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
                queue=dialplan.menu_queue(headers.get("Queue")),
                agent_interface=interface,
                **common,
            )
        case "AgentConnect":
            return ev.AgentAnswered(
                event_id=f"ami-answer-{uniqueid}",
                queue=dialplan.menu_queue(headers.get("Queue")),
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
                queue=dialplan.menu_queue(headers.get("Queue")),
                hold_seconds=_int(headers.get("HoldTime")),
                **common,
            )
        case "DialBegin" if headers.get("DestChannel", "").startswith(EMERGENCY_CHANNEL):
            return ev.EmergencyDialStarted(
                event_id=f"ami-110-begin-{uniqueid}-{headers.get('DestUniqueid', '')}", **common
            )
        case "DialEnd" if headers.get("DestChannel", "").startswith(EMERGENCY_CHANNEL):
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
        case "Hangup" if headers.get(
            "Context", ""
        ) in dialplan.CITIZEN_CONTEXTS and _is_citizen_channel(headers):
            return ev.CallEnded(
                event_id=f"ami-end-{uniqueid}",
                hangup_cause=_int(headers.get("Cause")),
                **common,
            )
    return None
