"""Urgent speech in the IVR: the AGI records, a recognizer stand-in returns text, the real
keyword list decides. Every keyword reaches 110; the spec's everyday questions never do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from agi.handlers.context import HandlerContext
from agi.handlers.ivr import ivr
from agi.outbox import Outbox
from asr.keywords import UrgentSpotter
from asr.settings import URGENT_KEYWORDS_FILE
from callmodel import dialplan as v
from hotline.settings import CONFIG_DIR
from ivr.decision import Listen, first_step, heard
from ivr.menu import load_menu
from tests.support.agi import HANGUP, ScriptedChannel, environment

MENU = load_menu(CONFIG_DIR / "ivr-menu.yaml")
SPOTTER = UrgentSpotter.from_file(URGENT_KEYWORDS_FILE)
KEYWORDS = [
    w for c in yaml.safe_load(URGENT_KEYWORDS_FILE.read_text())["categories"] for w in c["words"]
]
# The spec's consultation and help examples: how to apply for papers, penalty standards,
# public policy, a stolen manhole cover, a broken street light, a water cut.
NEUTRAL = [
    "我想问一下补办身份证需要什么材料",
    "闯红灯的罚款标准是多少",
    "公积金贷款政策有什么变化",
    "我们小区的井盖被偷了",
    "路灯坏了好几天了",
    "我家停水了什么时候来水",
    "交通事故责任认定书在哪里领",
    "我要投诉火车站附近的出租车",
]


def context_hearing(tmp_path: Path, text: str, calls: list[str]) -> HandlerContext:
    """An IVR whose recognizer stand-in 'hears' ``text`` in any utterance."""

    async def urgent_words(path: str) -> tuple[str, ...]:
        calls.append(path)
        return SPOTTER.spot(text).words

    return HandlerContext(
        menu=MENU,
        outbox=Outbox(tmp_path / "outbox.db"),
        prompts_dir="/p",
        utterances_dir="/u",
        urgent_words=urgent_words,
    )


def routed(context: HandlerContext) -> dict:
    return [json.loads(p.body) for p in context.outbox.pending()][-1]


@pytest.mark.parametrize("keyword", KEYWORDS)
async def test_every_urgent_keyword_said_in_a_sentence_reaches_110(tmp_path, keyword):
    heard_paths: list[str] = []
    context = context_hearing(tmp_path, f"喂 你好 这里 {keyword} 了 快 派人", heard_paths)
    channel = ScriptedChannel(environment("ivr", uniqueid="5.5"))
    await ivr(channel, context)
    assert heard_paths == ["/u/5.5.wav"]
    assert channel.variables[v.ROUTE] == "emergency"
    event = routed(context)
    assert event["reason"] == "speech" and keyword in event["urgent_words"]
    assert event["ivr_path"] == ["speech"]


@pytest.mark.parametrize("sentence", NEUTRAL)
async def test_everyday_questions_go_to_the_menu_not_110(tmp_path, sentence):
    context = context_hearing(tmp_path, sentence, [])
    channel = ScriptedChannel(environment("ivr"), keys=[None, None, "2"])
    await ivr(channel, context)
    assert channel.variables[v.ROUTE] == "queue" and channel.variables[v.QUEUE] == "consult"
    assert routed(context)["ivr_path"] == ["speech", "2"]


async def test_the_recording_is_asked_for_with_a_beep_silence_and_a_limit(tmp_path):
    context = context_hearing(tmp_path, "", [])
    channel = ScriptedChannel(environment("ivr", uniqueid="6.6"), keys=[None, None, "0"])
    await ivr(channel, context)
    record = next(c for c in channel.commands if c.startswith("RECORD FILE"))
    assert record == 'RECORD FILE "/u/6.6" wav "0123456789*#" 5000 0 BEEP s=2'
    assert channel.commands[1] == 'STREAM FILE "/p/speak" "0123456789*#"'


async def test_a_key_during_the_invitation_skips_the_recording(tmp_path):
    context = context_hearing(tmp_path, "着火了", [])
    channel = ScriptedChannel(environment("ivr"), keys=["3"])
    await ivr(channel, context)
    assert not any(c.startswith("RECORD FILE") for c in channel.commands)
    assert channel.variables[v.QUEUE] == "help"


async def test_a_decoder_failure_still_lets_the_caller_through(tmp_path):
    async def broken(path: str) -> tuple[str, ...]:
        raise OSError("no such file")

    context = HandlerContext(
        menu=MENU,
        outbox=Outbox(tmp_path / "o.db"),
        prompts_dir="/p",
        utterances_dir="/u",
        urgent_words=broken,
    )
    channel = ScriptedChannel(environment("ivr"), keys=[None, None, None])
    await ivr(channel, context)
    assert channel.variables[v.ROUTE] == "queue"


async def test_hanging_up_while_recording_ends_quietly(tmp_path):
    context = context_hearing(tmp_path, "着火了", [])
    channel = ScriptedChannel(environment("ivr"), keys=[None, None], fail_on=None)
    channel.keys = [None, None]
    original = channel.command

    async def hang_up_on_record(line: str):
        if line.startswith("RECORD FILE"):
            channel.keys = [HANGUP]
            return await original("STREAM FILE x")
        return await original(line)

    channel.command = hang_up_on_record  # type: ignore[method-assign]
    await ivr(channel, context)
    assert v.ROUTE not in channel.variables


def test_without_a_speak_prompt_the_ivr_does_not_listen():
    menu = MENU.model_copy(
        update={"prompts": {k: t for k, t in MENU.prompts.items() if k != "speak"}}
    )
    _, step = first_step(menu, (5.0, 1.5))
    assert not isinstance(step, Listen)


def test_heard_nothing_urgent_offers_the_menu_once():
    state, step = first_step(MENU, (5.0, 1.5))
    state, step = heard(MENU, state, ())
    assert step.prompts == ("menu",) and state.attempts == 1
