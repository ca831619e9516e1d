"""agi://host/ivr — the menu: welcome, keys, and the decision where the call goes.

The ticket's first event is written to the outbox before the caller hears anything, the route
event before the call leaves the IVR. The route is set on the channel the moment it is known,
so whatever fails afterwards, the dialplan still dials 110 or queues the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from ivr.screening import after_refusal, screen

log = logging.getLogger(__name__)

BLOCKED_ROUTE = "blocked"


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
    # The blocklist is asked now, in the background, so a non-urgent route rarely waits for
    # it; an urgent one never does (see _screened).
    listed = _ask_blocklist(ctx, _known(caller), uniqueid)
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
        if listed is not None:
            listed.cancel()
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
    try:
        state, screened = await _screened(channel, ctx, uniqueid, state, route, listed)
    except CallerHungUp:
        log.info("call %s: caller hung up during the blocklist message", uniqueid)
        await _record_refusal(ctx, uniqueid, state)
        return
    if screened is None:
        await _refuse_call(channel, ctx, uniqueid, state)
        return
    await _route_call(channel, ctx, uniqueid, state, screened)


def _ask_blocklist(
    ctx: HandlerContext, caller: str | None, uniqueid: str
) -> asyncio.Future[bool] | None:
    if ctx.blocklist is None or caller is None:
        return None
    try:
        return asyncio.ensure_future(ctx.blocklist(caller))
    except Exception:
        log.exception("call %s: blocklist lookup not started; the call goes on", uniqueid)
        return None


async def _blocklist_answer(
    ctx: HandlerContext, listed: asyncio.Future[bool] | None, uniqueid: str
) -> bool | None:
    """The lookup's answer, or None when it failed or is late: the call then goes on."""
    if listed is None:
        return None
    try:
        return await asyncio.wait_for(listed, ctx.blocklist_wait_seconds)
    except Exception as exc:
        # Fail open: the CRM down, slow or confused never keeps a citizen from the hotline.
        log.warning(
            "call %s: blocklist lookup failed (%s); the call goes on", uniqueid, type(exc).__name__
        )
        return None


async def _screened(
    channel: Channel,
    ctx: HandlerContext,
    uniqueid: str,
    state: IvrState,
    route: Route,
    listed: asyncio.Future[bool] | None,
) -> tuple[IvrState, Route | None]:
    """The route, or None when a listed caller heard the blocklist message and the call ends.

    The urgent route is decided before the blocklist is even looked at, and is never screened:
    a listed caller who presses 1 reaches 110 like anyone else (docs/hotline-rules.md,
    "Call-emergency plan"; architecture: fail open where a citizen would otherwise be harmed).
    """
    if route.is_urgent:
        if listed is not None:
            listed.cancel()
        return state, route
    blocked = await _blocklist_answer(ctx, listed, uniqueid)
    state, step = screen(state, route, blocked)
    if isinstance(step, Route):
        return state, step
    key = await play_all(channel, [ctx.prompt(name) for name in step.prompts])
    state, urgent = after_refusal(ctx.menu, state, key)
    return state, urgent


async def _refuse_call(
    channel: Channel, ctx: HandlerContext, uniqueid: str, state: IvrState
) -> None:
    """A listed caller heard the message: the route says so (the hang-up handler reports it),
    the ticket is told, and the call ends. MixMonitor has recorded it since the answer."""
    await set_variable(channel, v.ROUTE, BLOCKED_ROUTE)
    await _record_refusal(ctx, uniqueid, state)
    with contextlib.suppress(CallerHungUp):  # gone already: nothing left to end
        await channel.command("HANGUP")
    await channel.release()


async def _record_refusal(ctx: HandlerContext, uniqueid: str, state: IvrState) -> None:
    await ctx.outbox.put(
        CallRouted(
            event_id=ctx.event_id("route", uniqueid),
            uniqueid=uniqueid,
            occurred_at=ctx.now(),
            route=BLOCKED_ROUTE,
            reason="blocklist",
            ivr_path=list(state.path),
        )
    )


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
