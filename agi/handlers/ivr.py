"""agi://host/ivr — the menu: welcome, keys, and the decision where the call goes.

The ticket's first event is written to the outbox before the caller hears anything, the route
event before the call leaves the IVR. The route is set on the channel the moment it is known,
so whatever fails afterwards, the dialplan still dials 110 or queues the caller.
"""

from __future__ import annotations

import asyncio
import logging

from agi.channel import CallerHungUp, Channel, ask, play_all, record, set_variable
from agi.handlers.context import HandlerContext
from callmodel import dialplan as v
from callmodel.events import CallRouted, CallStarted
from ivr.decision import (
    IvrState,
    Listen,
    Route,
    Step,
    default_route,
    first_step,
    heard,
    next_step,
)

log = logging.getLogger(__name__)


async def ivr(channel: Channel, ctx: HandlerContext) -> None:
    env = channel.env
    uniqueid = env.get("agi_uniqueid", "")
    caller = env.get("agi_callerid", "")
    # The welcome starts at once while the ticket goes to disk: a key pressed before the first
    # prompt plays would be lost, and the disk may be slow. The route waits for the ticket.
    ticket_written = asyncio.ensure_future(
        ctx.outbox.put(
            CallStarted(
                event_id=ctx.event_id("start", uniqueid),
                uniqueid=uniqueid,
                occurred_at=ctx.now(),
                linkedid=env.get("agi_linkedid") or None,
                channel=env.get("agi_channel"),
                caller_number=_known(caller),
                caller_name=_known(env.get("agi_calleridname", "")),
                dialled_number=env.get("agi_extension"),
            )
        )
    )
    state, step = first_step(ctx.menu, ctx.utterance_limits if ctx.listens else None)
    route: Route | None = None
    try:
        while not isinstance(step, Route):
            prompts = [ctx.prompt(name) for name in step.prompts]
            if isinstance(step, Listen):
                state, step = await _listen(channel, ctx, uniqueid, state, step, prompts)
                continue
            key = await ask(channel, prompts, step.timeout_seconds)
            state, step = next_step(ctx.menu, state, key)
        route = step
    except CallerHungUp:
        log.info("call %s: caller hung up in the IVR after %s", uniqueid, state.path)
        await _settled(ticket_written, uniqueid)
        return
    except Exception:
        # A fault of ours: a person takes the call. The dialplan would do the same if the
        # variables below could not be set either.
        log.exception(
            "call %s: IVR failed after %s; sending to the general queue", uniqueid, state.path
        )
        route = default_route(ctx.menu, "error")
    await _settled(ticket_written, uniqueid)
    await _route_call(channel, ctx, uniqueid, state, route)


def _known(value: str) -> str | None:
    """Asterisk says ``unknown`` for a withheld caller ID."""
    return None if value in ("", "unknown") else value


async def _settled(ticket_written: asyncio.Future[None], uniqueid: str) -> None:
    """Wait for the ticket's first event; a failed write must not cost the caller the route."""
    try:
        await ticket_written
    except Exception:
        log.exception(
            "call %s: ticket event not written; the AMI bridge still records it", uniqueid
        )


async def _listen(
    channel: Channel,
    ctx: HandlerContext,
    uniqueid: str,
    state: IvrState,
    step: Listen,
    prompts: list[str],
) -> tuple[IvrState, Step]:
    """Invite the caller to speak, record, and look for urgent words in what was said."""
    assert ctx.urgent_words is not None and ctx.utterances_dir is not None
    key = await play_all(channel, prompts)
    if key:
        return next_step(ctx.menu, state, key)
    path = f"{ctx.utterances_dir}/{uniqueid}"
    key = await record(channel, path, step.max_seconds, step.silence_seconds)
    if key:
        return next_step(ctx.menu, state, key)
    try:
        words = await ctx.urgent_words(f"{path}.wav")
    except Exception:
        # Speech is a help, not a gate: whatever went wrong, the caller gets the menu.
        log.exception("call %s: the utterance could not be decoded", uniqueid)
        words = ()
    if words:
        # The words are the caller's speech: they go to the ticket, not to the log.
        log.warning("call %s: %d urgent words heard: transfer to 110", uniqueid, len(words))
    return heard(ctx.menu, state, words)


async def _route_call(
    channel: Channel, ctx: HandlerContext, uniqueid: str, state: IvrState, route: Route
) -> None:
    # Route first: for an urgent call, nothing may stand between the key and the Dial — not
    # even the disk. The ticket exists already (call_started); the route is recorded after
    # the channel is back in the dialplan.
    await set_variable(channel, v.ROUTE, route.kind.value)
    if route.queue:
        await set_variable(channel, v.QUEUE, route.queue)
    await set_variable(channel, v.PRIORITY, str(route.priority))
    await channel.release()
    await ctx.outbox.put(
        CallRouted(
            event_id=ctx.event_id("route", uniqueid),
            uniqueid=uniqueid,
            occurred_at=ctx.now(),
            route=route.kind.value,
            queue=route.queue,
            priority=route.priority,
            call_type=route.call_type,
            reason=route.reason,
            key=route.key,
            label=route.label,
            ivr_path=list(state.path),
            urgent_words=list(route.urgent_words),
        )
    )
