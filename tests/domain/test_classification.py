"""The type-specific conditions of docs/hotline-rules.md, one row per rule."""

from __future__ import annotations

import pytest

from callmodel.calltypes import CallType
from crm.domain import classification as c
from crm.domain import messages as msg
from crm.domain.classification import BodyFacts, Intake, classify
from crm.domain.special_lines import load_special_lines, suggest_special_lines

BANK = BodyFacts("某商业银行", is_member=False, is_government=False, complaint_number="95588")
STATS = BodyFacts("国家统计局调查队", is_member=False, is_government=True)
HOUSING = BodyFacts(
    "市住房和城乡建设局", is_member=True, is_government=True, complaint_number="6212345"
)
PHONE = "+86 138-1234-5678"


@pytest.mark.parametrize(
    ("rule", "intake", "call_type", "forwardable", "archive_now", "applied"),
    [
        (
            "help request without contact becomes a suggestion",
            Intake(CallType.HELP, "小区井盖丢失"),
            CallType.SUGGESTION,
            True,
            False,
            c.RULE_HELP_NO_CONTACT,
        ),
        (
            "complaint without target cannot be forwarded",
            Intake(CallType.COMPLAINT, "办事拖拉", contact_number=PHONE, body=HOUSING),
            CallType.COMPLAINT,
            False,
            True,
            c.RULE_NOT_FORWARDABLE,
        ),
        (
            "complaint without contact cannot be forwarded",
            Intake(CallType.COMPLAINT, "办事拖拉", target="窗口工作人员", body=HOUSING),
            CallType.COMPLAINT,
            False,
            True,
            c.RULE_NOT_FORWARDABLE,
        ),
        (
            "report without target cannot be forwarded",
            Intake(CallType.REPORT, "收受红包", contact_number=PHONE),
            CallType.REPORT,
            False,
            True,
            c.RULE_NOT_FORWARDABLE,
        ),
        (
            "complaint about a non-member non-government body is invalid/other",
            Intake(CallType.COMPLAINT, "乱收费", contact_number=PHONE, target="柜员", body=BANK),
            CallType.INVALID,
            False,
            True,
            c.RULE_NON_MEMBER_NON_GOV,
        ),
        (
            "praise of a non-member government body: record and archive",
            Intake(CallType.PRAISE, "服务好", body=STATS),
            CallType.INVALID,
            False,
            True,
            c.RULE_NON_MEMBER_GOV,
        ),
        (
            "emergency: transfer to 110 and archive at once",
            Intake(CallType.EMERGENCY, "楼道起火", contact_number=PHONE),
            CallType.EMERGENCY,
            True,
            True,
            c.RULE_EMERGENCY,
        ),
        (
            "complete report is forwarded confidentially",
            Intake(CallType.REPORT, "收受红包", contact_number=PHONE, target="某科长"),
            CallType.REPORT,
            True,
            False,
            c.RULE_REPORT_CONFIDENTIAL,
        ),
        (
            "suggestion is passed on",
            Intake(CallType.SUGGESTION, "公交站台加装座椅", body=HOUSING),
            CallType.SUGGESTION,
            True,
            False,
            c.RULE_SUGGESTION_PASSED_ON,
        ),
        (
            "invalid call recorded as other",
            Intake(CallType.INVALID, "无实质内容"),
            CallType.INVALID,
            False,
            True,
            c.RULE_INVALID,
        ),
    ],
)
def test_conditions(
    rule: str,
    intake: Intake,
    call_type: CallType,
    forwardable: bool,
    archive_now: bool,
    applied: str,
) -> None:
    result = classify(intake)
    assert (result.call_type, result.forwardable, result.archive_now) == (
        call_type,
        forwardable,
        archive_now,
    ), rule
    assert result.rules == (applied,), rule


def test_help_without_contact_tells_caller_it_cannot_be_followed_up() -> None:
    result = classify(Intake(CallType.HELP, "路灯不亮", reply_requested=True))
    assert result.tell_caller == (msg.HELP_WITHOUT_CONTACT,)
    assert "无法跟踪" in result.tell_caller[0]
    assert not result.reply_requested


def test_help_with_contact_stays_help_and_number_is_normalised() -> None:
    result = classify(Intake(CallType.HELP, "水管爆裂", contact_number=PHONE))
    assert result.call_type is CallType.HELP
    assert result.contact_number == "13812345678"
    assert result.forwardable


def test_unforwardable_complaint_gives_responsible_body_number() -> None:
    result = classify(Intake(CallType.COMPLAINT, "态度差", body=HOUSING))
    assert result.refer_number == "6212345"
    assert "6212345" in result.tell_caller[0]
    assert msg.MISSING_TARGET in result.tell_caller[0]
    assert msg.MISSING_CONTACT in result.tell_caller[0]


def test_unforwardable_report_still_goes_to_hotline_leader_confidentially() -> None:
    result = classify(Intake(CallType.REPORT, "违纪", contact_number=PHONE))
    assert result.confidential and result.notify_hotline_leader


def test_emergency_transfers_to_110_and_notifies_leader() -> None:
    result = classify(Intake(CallType.EMERGENCY, "有人落水"))
    assert result.transfer_to == "110"
    assert result.notify_hotline_leader


def test_special_line_topic_becomes_consultation_with_the_line() -> None:
    lines = load_special_lines()
    noise = suggest_special_lines("楼下饭店油烟和噪音扰民", lines)
    assert noise[0].number == "12369"
    result = classify(Intake(CallType.COMPLAINT, "饭店油烟", special_line=noise[0]))
    assert result.call_type is CallType.CONSULTATION
    assert result.refer_number == "12369"
    assert "12369" in result.tell_caller[0]
    assert result.rules == (c.RULE_SPECIAL_LINE,)


@pytest.mark.parametrize(
    "number",
    [
        "12315",
        "12358",
        "12310",
        "12336",
        "12369",
        "12350",
        "12365",
        "12366",
        "96555",
        "12319",
        "6250000",
        "6882892",
        "6800000",
        "6883894",
        "6228260",
    ],
)
def test_special_lines_directory_holds_every_line_of_the_spec(number: str) -> None:
    assert number in {line.number for line in load_special_lines()}


def test_no_special_line_suggested_for_unrelated_text() -> None:
    assert suggest_special_lines("补办身份证需要什么材料", load_special_lines()) == []


@pytest.mark.parametrize(
    ("rule", "intake", "call_type", "refer", "applied"),
    [
        (
            "general social information: dial 114",
            Intake(CallType.CONSULTATION, "附近哪有修鞋的", general_info=True),
            CallType.CONSULTATION,
            "114",
            c.RULE_GENERAL_INFO,
        ),
        (
            "SMS from a department: not from the hotline, give its number",
            Intake(CallType.CONSULTATION, "收到社保短信", about_sms=True, body=HOUSING),
            CallType.CONSULTATION,
            "6212345",
            c.RULE_SMS,
        ),
        (
            "complaint after every channel: comfort only",
            Intake(
                CallType.COMPLAINT,
                "多年上访",
                contact_number=PHONE,
                target="某局",
                all_channels_tried=True,
            ),
            CallType.COMPLAINT,
            None,
            c.RULE_COMFORT_ONLY,
        ),
        (
            "abnormal call judged fraud: warn, guide to police",
            Intake(CallType.CONSULTATION, "有人让我转账到安全账户", abnormal="fraud"),
            CallType.INVALID,
            "110",
            c.RULE_FRAUD,
        ),
        (
            "abnormal call judged harassment: record",
            Intake(CallType.INVALID, "辱骂", abnormal="harassment"),
            CallType.INVALID,
            None,
            c.RULE_HARASSMENT,
        ),
    ],
)
def test_closed_at_the_front_desk(
    rule: str, intake: Intake, call_type: CallType, refer: str | None, applied: str
) -> None:
    result = classify(intake)
    assert (result.call_type, result.refer_number, result.rules) == (
        call_type,
        refer,
        (applied,),
    ), rule
    assert result.archive_now and not result.forwardable, rule


def test_fraud_caller_is_warned() -> None:
    assert classify(Intake(CallType.INVALID, "", abnormal="fraud")).tell_caller == (
        msg.FRAUD_WARNING,
    )
    with pytest.raises(ValueError):
        classify(Intake(CallType.INVALID, "", abnormal="prank"))


def test_emergency_not_transferred_is_dispatched_and_leader_told() -> None:
    result = classify(
        Intake(CallType.EMERGENCY, "燃气泄漏", contact_number=PHONE, transferred_to_110=False)
    )
    assert (result.forwardable, result.archive_now, result.notify_hotline_leader) == (
        True,
        False,
        True,
    )
    assert result.rules == (c.RULE_EMERGENCY_DISPATCH,)


def test_praise_is_thanked_not_treated_as_a_suggestion() -> None:
    praised = classify(Intake(CallType.PRAISE, "窗口服务热情", body=HOUSING))
    assert praised.tell_caller == (msg.PRAISE_PASSED_ON,) and "表扬" in msg.PRAISE_PASSED_ON
    suggested = classify(Intake(CallType.SUGGESTION, "增设公交线路", body=HOUSING))
    assert suggested.tell_caller == (msg.SUGGESTION_PASSED_ON,)


def test_a_plain_invalid_call_is_recorded_under_other_with_a_note() -> None:
    result = classify(Intake(CallType.INVALID, "来电无声"))
    assert result.archive_now and result.notes == (msg.INVALID_OTHER,)
    assert "其他" in msg.INVALID_OTHER
