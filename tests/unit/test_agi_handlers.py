"""The AGI handlers against a scripted caller: what they ask, set and record."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from agi.handlers.call_end import call_end
from agi.handlers.context import HandlerContext
from agi.handlers.ivr import ivr
from agi.outbox import Outbox
from callmodel import dialplan as v
from hotline.settings import CONFIG_DIR
from ivr.menu import load_menu
from tests.support.agi import HANGUP, ScriptedChannel, environment

MENU = load_menu(CONFIG_DIR / "ivr-menu.yaml")


@pytest.fixture
def context(tmp_path: Path) -> HandlerContext:
    return HandlerContext(menu=MENU, outbox=Outbox(tmp_path / "outbox.db"), prompts_dir="/p")


def queued(context: HandlerContext) -> list[dict]:
    return [json.loads(p.body) for p in context.outbox.pending()]


async def test_key_during_the_welcome_routes_at_once(context):
    channel = ScriptedChannel(environment("ivr"), keys=["1"])
    await ivr(channel, context)
    assert channel.commands[0] == 'STREAM FILE "/p/welcome" "0123456789*#"'
    assert not any("menu" in c for c in channel.commands), "the menu must not play after a key"
    assert channel.variables[v.ROUTE] == "emergency"
    kinds = [e["kind"] for e in queued(context)]
    assert kinds == ["call_started", "call_routed"]


async def test_ticket_event_is_written_before_the_route_is_set(context):
    channel = ScriptedChannel(environment("ivr"), keys=[None, "2"])
    seen_before_route = []

    original = channel.command

    async def spy(line: str):
        if line.startswith(f"SET VARIABLE {v.ROUTE}"):
            seen_before_route.extend(e["kind"] for e in queued(context))
        return await original(line)

    channel.command = spy  # type: ignore[method-assign]
    await ivr(channel, context)
    assert seen_before_route == ["call_started"]
    assert channel.variables == {v.ROUTE: "queue", v.QUEUE: "consult", v.PRIORITY: "0"}
    routed = queued(context)[1]
    assert routed["ivr_path"] == ["2"] and routed["call_type"] == "consultation"


async def test_an_urgent_call_goes_back_to_the_dialplan_before_the_route_is_written(context):
    channel = ScriptedChannel(environment("ivr"), keys=["1"])
    kinds_at_release: list[str] = []
    original = channel.release

    async def spy() -> None:
        kinds_at_release.extend(e["kind"] for e in queued(context))
        await original()

    channel.release = spy  # type: ignore[method-assign]
    await ivr(channel, context)
    assert kinds_at_release == ["call_started"], "the Dial must not wait for the disk"
    assert channel.commands[-1] == "RELEASE"
    assert [e["kind"] for e in queued(context)] == ["call_started", "call_routed"]


async def test_the_welcome_does_not_wait_for_a_slow_disk_but_the_route_waits_for_the_ticket(
    context,
):
    order: list[str] = []
    put = context.outbox.put

    async def slow_put(event):
        await asyncio.sleep(0.2)
        await put(event)
        order.append(f"stored {event.kind}")

    context.outbox.put = slow_put
    channel = ScriptedChannel(environment("ivr"), keys=["1"])
    original = channel.command

    async def spy(line: str):
        order.append(line.split()[0] + " " + line.split()[1])
        return await original(line)

    channel.command = spy  # type: ignore[method-assign]
    await ivr(channel, context)
    assert order[:2] == ["STREAM FILE", "stored call_started"]
    assert order.index("stored call_started") < order.index("SET VARIABLE")


async def test_a_failed_ticket_write_does_not_cost_an_urgent_caller_the_route(context):
    async def broken(event):
        raise OSError("disk full")

    context.outbox.put = broken
    channel = ScriptedChannel(environment("ivr"), keys=["1"])
    with pytest.raises(OSError):
        await ivr(channel, context)  # the route event cannot be written either…
    assert channel.variables[v.ROUTE] == "emergency"  # …but the route is set


async def test_silence_plays_welcome_menu_waits_then_general_queue(context):
    channel = ScriptedChannel(environment("ivr"), keys=[None, None, None])
    await ivr(channel, context)
    assert [c.split()[0:2] for c in channel.commands[:3]] == [
        ["STREAM", "FILE"],
        ["STREAM", "FILE"],
        ["WAIT", "FOR"],
    ]
    assert channel.commands[2] == "WAIT FOR DIGIT 5000"
    assert channel.variables[v.QUEUE] == "general"


async def test_caller_hanging_up_in_the_ivr_still_has_a_ticket_event(context):
    channel = ScriptedChannel(environment("ivr"), keys=[None, HANGUP])
    await ivr(channel, context)
    assert v.ROUTE not in channel.variables
    assert [e["kind"] for e in queued(context)] == ["call_started"]


async def test_a_fault_in_the_ivr_sends_the_caller_to_a_person(context):
    channel = ScriptedChannel(environment("ivr"), fail_on="STREAM FILE")
    await ivr(channel, context)
    assert channel.variables[v.ROUTE] == "queue" and channel.variables[v.QUEUE] == "general"
    assert queued(context)[1]["reason"] == "error"


async def test_withheld_number_is_recorded_as_unknown(context):
    channel = ScriptedChannel(environment("ivr", caller="unknown"), keys=["0"])
    await ivr(channel, context)
    assert queued(context)[0]["caller_number"] is None


async def test_call_end_reports_what_the_dialplan_kept(context):
    facts = {
        v.HANGUPCAUSE: "16",
        v.DIALSTATUS: "",
        v.QUEUESTATUS: "",
        v.MEMBERINTERFACE: "PJSIP/8001",
        v.QEHOLDTIME: "7",
        v.QUEUED_AT: "1795870000",
        v.ROUTE: "queue",
        v.MIXMONITOR_FILENAME: "/srv/hotline/x/recordings/1.wav",
    }
    channel = ScriptedChannel(environment("call_end"), variables=facts)
    await call_end(channel, context)
    (event,) = queued(context)
    assert event["kind"] == "call_ended" and event["hangup_cause"] == 16
    assert event["agent_interface"] == "PJSIP/8001" and event["hold_seconds"] == 7
    assert event["recording_path"].endswith("1.wav") and event["route"] == "queue"
    assert channel.commands[1:] == ["RELEASE"], "one round trip for all facts"


async def test_same_handler_run_twice_queues_each_event_once(context):
    for _ in range(2):
        await ivr(ScriptedChannel(environment("ivr"), keys=["3"]), context)
    assert len(queued(context)) == 2
