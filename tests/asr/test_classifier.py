"""The rule-based classifier on Chinese transcript text: type, special line, and why."""

from __future__ import annotations

import pytest

from asr.classifier import CallClassifier
from asr.settings import CLASSIFIER_FILE, URGENT_KEYWORDS_FILE
from callmodel.calltypes import CallType

from .test_keywords import NEUTRAL, SPOTTER

CLASSIFIER = CallClassifier.from_files(CLASSIFIER_FILE, URGENT_KEYWORDS_FILE)


@pytest.mark.parametrize(
    ("text", "number", "word"),
    [
        ("我 在 商场 消费 买 到 的 东西 有 问题", "12315", "消费"),
        ("楼下 饭店 的 油烟 太 大 了", "12369", "油烟"),
        ("工地 晚上 噪音 很 大", "12369", "噪音"),
        ("个人 纳税 证明 怎么 开", "12366", "纳税"),
        ("暖气 一直 不 热", "6250000", "暖气"),
    ],
)
def test_special_lines_name_their_trigger(text: str, number: str, word: str) -> None:
    suggestion = CLASSIFIER.classify(text)
    assert suggestion.special_line is not None
    assert suggestion.special_line.number == number
    assert word in suggestion.special_line.words
    assert number in suggestion.explanation() and word in suggestion.explanation()


def test_urgent_words_make_an_emergency_whatever_else_matches() -> None:
    suggestion = CLASSIFIER.classify("我 要 投诉 楼下 着火 了 救命")
    assert suggestion.call_type is CallType.EMERGENCY
    assert suggestion.reason == ("着火", "救命")
    assert "紧急求助" in suggestion.explanation()


def test_every_urgent_keyword_suggests_an_emergency() -> None:
    for word in SPOTTER.keywords:
        assert CLASSIFIER.classify(f"喂 {word} 了").call_type is CallType.EMERGENCY, word


@pytest.mark.parametrize("text", NEUTRAL)
def test_neutral_sentences_are_never_emergencies(text: str) -> None:
    assert CLASSIFIER.classify(text).call_type is not CallType.EMERGENCY


@pytest.mark.parametrize(
    ("text", "call_type", "word"),
    [
        ("请问 办理 身份证 需要 什么 材料", CallType.CONSULTATION, "请问"),
        ("小区 的 井盖 被 偷 了", CallType.HELP, "井盖"),
        ("我 要 投诉 街道 办 工作 人员 不作为", CallType.COMPLAINT, "不作为"),
        ("我 要 举报 某 局长 受贿", CallType.REPORT, "受贿"),
        ("建议 在 路口 增加 红绿灯", CallType.SUGGESTION, "建议"),
        ("我 想 表扬 社区 的 王 大姐", CallType.PRAISE, "表扬"),
        ("上次 的 单子 我 来 催一下", CallType.INVALID, "催一下"),
    ],
)
def test_call_types_with_their_reasons(text: str, call_type: CallType, word: str) -> None:
    suggestion = CLASSIFIER.classify(text)
    assert suggestion.call_type is call_type
    assert word in suggestion.reason
    assert call_type.label in suggestion.explanation()


def test_a_consumer_complaint_is_recorded_as_consultation_with_the_line() -> None:
    suggestion = CLASSIFIER.classify("我 要 投诉 这个 商家 卖 假货")
    assert suggestion.call_type is CallType.CONSULTATION
    assert suggestion.special_line is not None and suggestion.special_line.number == "12315"
    assert any(s.call_type is CallType.COMPLAINT for s in suggestion.type_scores)


def test_report_outranks_complaint_on_a_tie() -> None:
    suggestion = CLASSIFIER.classify("我 要 举报 也 要 投诉")
    assert suggestion.call_type is CallType.REPORT


def test_nothing_matched_leaves_the_decision_to_the_agent() -> None:
    suggestion = CLASSIFIER.classify("嗯 那个 就是 这样")
    assert suggestion.call_type is None
    assert suggestion.special_line is None
    assert "话务员" in suggestion.explanation()


def test_a_transcript_is_classified_on_the_caller_leg_only() -> None:
    from asr.engine import Word
    from asr.transcript import Speaker, Transcript, TranscriptLine

    def line(speaker: Speaker, text: str, start: float) -> TranscriptLine:
        return TranscriptLine(
            speaker, text, (Word(text.split()[0], start, start + 0.5, 1.0),), start, start + 0.5
        )

    transcript = Transcript(
        lines=(
            line(Speaker.AGENT, "您好 一二三四五 如遇 火灾 请 拨打 一一九", 0.0),
            line(Speaker.CALLER, "楼下 饭店 油烟 太 大", 4.0),
            line(Speaker.AGENT, "好的 我 帮 您 转 环保 专线", 6.0),
        ),
        leg_seconds={Speaker.CALLER: 8.0, Speaker.AGENT: 8.0},
        engine="scripted",
        decode_seconds=0.0,
    )
    suggestion = CLASSIFIER.classify_transcript(transcript)
    assert suggestion.call_type is CallType.CONSULTATION
    assert suggestion.special_line is not None and suggestion.special_line.number == "12369"
    assert not suggestion.urgent.urgent
