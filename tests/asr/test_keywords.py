"""Urgent keyword routing on Chinese text, through a recognizer stand-in and directly."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from asr.keywords import UrgentSpotter, normalise
from asr.settings import URGENT_KEYWORDS_FILE
from asr.utterance import UtteranceDecoder, UtteranceResult, decode_utterance

from .fakes import ScriptedEngine

SPOTTER = UrgentSpotter.from_file(URGENT_KEYWORDS_FILE)

# Neutral speech: the spec's consultation examples (certificates, penalty standards, public
# policy, public morals), everyday help requests, and sentences that brush against an urgent
# word (交通事故认定, 火灾隐患, 打架子鼓, 火车票) without being an emergency.
NEUTRAL = [
    "请问 办理 身份证 需要 什么 材料",
    "我 想 咨询 一下 护照 怎么 办理",
    "结婚证 补办 要 去 哪里",
    "闯红灯 的 罚款 标准 是 多少",
    "违章 停车 罚 多少 钱",
    "公积金 提取 政策 是 怎样 的",
    "今年 的 养老 保险 缴费 标准 是 什么",
    "孩子 上学 的 入学 政策 想 了解 一下",
    "有人 在 公共 场所 随地 吐痰 这个 管 不管",
    "小区 里 的 井盖 被 偷 了",
    "楼下 水管 爆 了 一直 在 漏水",
    "我们 这 条 路 的 路灯 坏 了",
    "家里 停水 停电 了 什么 时候 来",
    "交通事故 责任 认定书 在 哪里 领",
    "我 想 问 一下 交通事故 认定 要 多久",
    "小区 有 火灾 隐患 希望 检查 一下",
    "楼上 天天 打架子鼓 太 吵 了",
    "火车票 改签 怎么 办理",
    "火警 电话 是 多少",
    "谢谢 你们 的 服务 我 想 表扬 一下",
]


def spaced(word: str) -> str:
    """Vosk separates words; a keyword may come out split into single characters."""
    return " ".join(word)


def test_every_configured_keyword_routes_urgent() -> None:
    assert len(SPOTTER.keywords) >= 40
    for word, category in SPOTTER.keywords.items():
        for text in (f"喂 你好 {word} 了 快 来", f"喂 你好 {spaced(word)} 了 快 来"):
            match = SPOTTER.spot(text)
            assert match.urgent, text
            assert word in match.words, text
            assert category in match.categories


def test_the_spec_emergencies_are_all_listed() -> None:
    for word in [
        "水灾",
        "火灾",
        "着火",
        "失火",
        "盗抢",
        "抢劫",
        "自杀",
        "斗殴",
        "打架",
        "交通事故",
        "车祸",
        "危重病人",
        "人群聚集",
        "煤气泄漏",
        "救命",
    ]:
        assert word in SPOTTER.keywords


@pytest.mark.parametrize("text", NEUTRAL)
def test_neutral_sentences_route_nowhere(text: str) -> None:
    match = SPOTTER.spot(text)
    assert not match.urgent, match.hits


def test_a_neutral_context_does_not_hide_a_real_emergency() -> None:
    match = SPOTTER.spot("交通事故 认定 的 事 先 不 说 刚才 门口 出 了 车祸 有人 昏迷")
    assert match.words == ("车祸", "昏迷")


def test_longest_keyword_wins_and_is_reported_once() -> None:
    match = SPOTTER.spot("家 里 煤气 泄漏 了 煤气泄漏")
    assert match.words == ("煤气泄漏",)
    assert len(match.hits) == 2


def test_normalise_drops_vosk_spaces() -> None:
    assert normalise(" 着 火\n了 ") == "着火了"


def test_short_keywords_are_refused() -> None:
    with pytest.raises(ValueError, match="too short"):
        UrgentSpotter({"火灾": ["火"]}, [])


def _silence(path: Path, seconds: float = 1.0) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\0\0" * int(8000 * seconds))
    return path


def test_decode_utterance_through_a_recognizer_stand_in(tmp_path: Path) -> None:
    audio = _silence(tmp_path / "u.wav")
    urgent = decode_utterance(audio, ScriptedEngine("快 来 人 啊 着 火 了"), SPOTTER)
    assert isinstance(urgent, UtteranceResult)
    text, words, seconds = urgent
    assert text == "快 来 人 啊 着 火 了"
    assert words == ("快来人", "着火")
    assert 0 <= seconds < 1
    decoder = UtteranceDecoder(ScriptedEngine("请问 身份证 怎么 办理"), SPOTTER)
    assert decoder.decode(audio).urgent_words == ()


def test_decode_utterance_of_an_empty_recording(tmp_path: Path) -> None:
    audio = _silence(tmp_path / "empty.wav", 0)
    assert decode_utterance(audio, ScriptedEngine(""), SPOTTER).text == ""
