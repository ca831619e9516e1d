"""The harassment blocklist in the IVR: listed callers hear the message, key 1 still reaches 110.

docs/hotline-rules.md, "Call-emergency plan"; architecture, "Trust boundaries": a lookup that
fails lets the call through.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from agi.handlers.context import HandlerContext
from agi.handlers.ivr import ivr
from agi.outbox import Outbox
from callmodel import dialplan as v
from hotline.settings import CONFIG_DIR
from ivr.decision import IvrState, next_step
from ivr.menu import RouteKind, load_menu
from ivr.screening import BLOCKLIST_PROMPT, Refuse, after_refusal, screen
from tests.support.agi import HANGUP, ScriptedChannel, environment

MENU = load_menu(CONFIG_DIR / "ivr-menu.yaml")
EMERGENCY_KEY = MENU.emergency_keys[0]
OTHER_KEY = next(k for k, o in MENU.options.items() if o.route is RouteKind.QUEUE)


def routed(key: str | None):
    return next_step(MENU, IvrState(attempts=1), key)


# (what the caller chose, the lookup's answer, what happens)
SCREENING = [
    ("urgent key, listed", EMERGENCY_KEY, True, "emergency"),
    ("urgent key, not listed", EMERGENCY_KEY, False, "emergency"),
    ("urgent key, lookup failed", EMERGENCY_KEY, None, "emergency"),
    ("other key, listed", OTHER_KEY, True, "refused"),
    ("other key, not listed", OTHER_KEY, False, "queue"),
    ("other key, lookup failed", OTHER_KEY, None, "queue"),
    ("silence, listed", None, True, "refused"),
    ("silence, lookup failed", None, None, "queue"),
]


@pytest.mark.parametrize(
    ("key", "blocked", "expected"), [c[1:] for c in SCREENING], ids=[c[0] for c in SCREENING]
)
def test_screening(key: str | None, blocked: bool | None, expected: str) -> None:
    state, route = routed(key)
    state, step = screen(state, route, blocked)
    if expected == "refused":
        assert isinstance(step, Refuse) and step.prompts == (BLOCKLIST_PROMPT,)
        assert state.path[-1] == "blocklisted"
    else:
        assert not isinstance(step, Refuse) and step.kind.value == expected
        assert step == route, "an unscreened route is the route the caller chose"


# A key while the blocklist message plays: (key, reaches 110)
AFTER = [(EMERGENCY_KEY, True), (OTHER_KEY, False), ("#", False), (None, False)]


@pytest.mark.parametrize(("key", "urgent"), AFTER, ids=[str(k) for k, _ in AFTER])
def test_a_listed_caller_pressing_the_emergency_key_during_the_message_reaches_110(
    key: str | None, urgent: bool
) -> None:
    _, route = after_refusal(MENU, IvrState(1, ("2", "blocklisted")), key)
    assert (route is not None and route.is_urgent) is urgent
    if not urgent:
        assert route is None


def test_the_menu_declares_the_blocklist_prompt_so_it_is_synthesised() -> None:
    assert BLOCKLIST_PROMPT in MENU.prompts and "110" in MENU.prompts[BLOCKLIST_PROMPT]


# The handler ----------------------------------------------------------------------------------


@pytest.fixture
def context(tmp_path: Path) -> HandlerContext:
    return HandlerContext(menu=MENU, outbox=Outbox(tmp_path / "outbox.db"), prompts_dir="/p")


def queued(context: HandlerContext) -> list[dict]:
    return [json.loads(p.body) for p in context.outbox.pending()]


def listing(answer: bool | Exception, delay: float = 0.0, asked: list[str] | None = None):
    async def lookup(number: str) -> bool:
        if asked is not None:
            asked.append(number)
        await asyncio.sleep(delay)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return lookup


async def test_a_listed_caller_hears_the_message_and_the_call_ends(context):
    asked: list[str] = []
    context.blocklist = listing(True, asked=asked)
    channel = ScriptedChannel(environment("ivr"), keys=[None, OTHER_KEY, None])
    await ivr(channel, context)
    assert asked == ["13800138000"]
    assert 'STREAM FILE "/p/blocklisted" "0123456789*#"' in channel.commands
    assert channel.variables == {v.ROUTE: "blocked"}
    assert channel.commands[-2:] == ["HANGUP", "RELEASE"]
    routed_event = queued(context)[1]
    assert routed_event["route"] == "blocked" and routed_event["reason"] == "blocklist"
    assert routed_event["ivr_path"] == [OTHER_KEY, "blocklisted"]


async def test_a_listed_caller_pressing_1_reaches_110_without_waiting_for_the_lookup(context):
    # The lookup would take 5 s: the urgent route must not wait for it, nor be screened.
    context.blocklist = listing(True, delay=5)
    channel = ScriptedChannel(environment("ivr"), keys=[EMERGENCY_KEY])
    started = asyncio.get_running_loop().time()
    await ivr(channel, context)
    assert asyncio.get_running_loop().time() - started < 1
    assert channel.variables[v.ROUTE] == "emergency"
    assert not any("blocklisted" in c for c in channel.commands)


async def test_a_listed_caller_pressing_1_during_the_message_reaches_110(context):
    context.blocklist = listing(True)
    channel = ScriptedChannel(environment("ivr"), keys=[None, OTHER_KEY, EMERGENCY_KEY])
    await ivr(channel, context)
    assert channel.variables[v.ROUTE] == "emergency"
    assert "HANGUP" not in channel.commands
    assert queued(context)[1]["route"] == "emergency"


@pytest.mark.parametrize(
    "lookup",
    [listing(ConnectionError("CRM down")), listing(True, delay=5), listing(False)],
    ids=["crm down", "crm too slow", "not listed"],
)
async def test_a_failed_or_late_lookup_lets_the_call_through(context, lookup):
    context.blocklist = lookup
    context.blocklist_wait_seconds = 0.2
    channel = ScriptedChannel(environment("ivr"), keys=[None, OTHER_KEY])
    await ivr(channel, context)
    assert channel.variables[v.ROUTE] == "queue"
    assert not any("blocklisted" in c for c in channel.commands)


async def test_a_withheld_number_is_not_looked_up(context):
    asked: list[str] = []
    context.blocklist = listing(True, asked=asked)
    channel = ScriptedChannel(environment("ivr", caller="unknown"), keys=[None, OTHER_KEY])
    await ivr(channel, context)
    assert asked == [] and channel.variables[v.ROUTE] == "queue"


async def test_a_listed_caller_who_hangs_up_during_the_message_is_recorded_blocked(context):
    context.blocklist = listing(True)
    channel = ScriptedChannel(environment("ivr"), keys=[None, OTHER_KEY, HANGUP])
    await ivr(channel, context)
    assert queued(context)[1]["route"] == "blocked"
