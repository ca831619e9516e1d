"""agi://host/ivr — the menu: welcome, keys, and the decision where the call goes.

The ticket's first event is written to the outbox before the caller hears anything, the route
event before the call leaves the IVR. The route is set on the channel the moment it is known,
so whatever fails afterwards, the dialplan still dials 110 or queues the caller.
"""

from __future__ import annotations

import logging

from agi import variables as v
from agi.channel import CallerHungUp, Channel, ask, set_variable
from agi.handlers.context import HandlerContext
from crm.calls.events import CallRouted, CallStarted
from ivr.decision import Ask, IvrState, Route, default_route, first_step, next_step

log = logging.getLogger(__name__)


async def ivr(channel: Channel, ctx: HandlerContext) -> None:
    env = channel.env
    uniqueid = env.get("agi_uniqueid", "")
    caller = env.get("agi_callerid", "")
    await ctx.outbox.put(
        CallStarted(
            event_id=ctx.event_id("start", uniqueid),
            uniqueid=uniqueid,
            occurred_at=ctx.now(),
            linkedid=env.get("agi_linkedid") or None,
            channel=env.get("agi_channel"),
            caller_number=None if caller in ("", "unknown") else caller,
            caller_name=env.get("agi_calleridname")
            if env.get("agi_calleridname") not in ("", "unknown")
            else None,
            dialled_number=env.get("agi_extension"),
        )
    )
    state, step = first_step(ctx.menu)
    route: Route | None = None
    try:
        while isinstance(step, Ask):
            prompts = [ctx.prompt(name) for name in step.prompts]
            key = await ask(channel, prompts, step.timeout_seconds)
            state, step = next_step(ctx.menu, state, key)
        route = step
    except CallerHungUp:
        log.info("call %s: caller hung up in the IVR after %s", uniqueid, state.path)
        return
    except Exception:
        # A fault of ours: a person takes the call. The dialplan would do the same if the
        # variables below could not be set either.
        log.exception(
            "call %s: IVR failed after %s; sending to the general queue", uniqueid, state.path
        )
        route = default_route(ctx.menu, "error")
    await _route_call(channel, ctx, uniqueid, state, route)


async def _route_call(
    channel: Channel, ctx: HandlerContext, uniqueid: str, state: IvrState, route: Route
) -> None:
    # Route first: for an urgent call, nothing may stand between the key and the Dial.
    await set_variable(channel, v.ROUTE, route.kind.value)
    if route.queue:
        await set_variable(channel, v.QUEUE, route.queue)
    await set_variable(channel, v.PRIORITY, str(route.priority))
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
        )
    )
