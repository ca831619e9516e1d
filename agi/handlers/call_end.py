"""agi://host/call_end — run by the hangup handler: how the call ended, for its ticket."""

from __future__ import annotations

from agi.channel import Channel, get_variables
from agi.handlers.context import HandlerContext
from callmodel import dialplan as v
from callmodel.events import CallEnded, talk_seconds

FACTS = (
    v.HANGUPCAUSE,
    v.DIALSTATUS,
    v.QUEUESTATUS,
    v.MEMBERINTERFACE,
    v.QEHOLDTIME,
    v.QUEUED_AT,
    v.EMERGENCY_FAILED,
    v.IVR_FALLBACK,
    v.MIXMONITOR_FILENAME,
    v.ROUTE,
    v.PLACE_KEPT,
    v.VOICE_MESSAGE,
)


def _int(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


async def call_end(channel: Channel, ctx: HandlerContext) -> None:
    uniqueid = channel.env.get("agi_uniqueid", "")
    facts = await get_variables(channel, FACTS)
    # The channel is gone; let Asterisk free it while the facts go to disk.
    await channel.release()
    ended = ctx.now()
    hold = _int(facts[v.QEHOLDTIME])
    agent = facts[v.MEMBERINTERFACE] or None
    queued_at = _int(facts[v.QUEUED_AT])
    route = facts[v.ROUTE] if facts[v.ROUTE] in ("emergency", "queue", "blocked") else None
    await ctx.outbox.put(
        CallEnded(
            event_id=ctx.event_id("end", uniqueid),
            uniqueid=uniqueid,
            occurred_at=ended,
            caller_number=channel.env.get("agi_callerid") or None,
            route=route,  # type: ignore[arg-type]
            hangup_cause=_int(facts[v.HANGUPCAUSE]),
            dial_status=facts[v.DIALSTATUS] or None,
            queue_status=facts[v.QUEUESTATUS] or None,
            agent_interface=agent,
            hold_seconds=hold,
            talk_seconds=talk_seconds(ended.timestamp(), queued_at, hold) if agent else None,
            emergency_failed=facts[v.EMERGENCY_FAILED] or None,
            recording_path=facts[v.MIXMONITOR_FILENAME] or None,
            ivr_fallback=facts[v.IVR_FALLBACK] == "1",
            place_kept=facts[v.PLACE_KEPT] == "1",
            voice_message=facts[v.VOICE_MESSAGE] == "1",
        )
    )
