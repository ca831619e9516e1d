"""The rules' conditions: what a call becomes once the agent has filled in the form.

``classify`` takes what the agent recorded (the type chosen, contact, target, the body concerned,
a special line the agent referred to) and returns the type the ticket is stored under, whether it
can be forwarded to a unit, what the caller must be told and which notes the order carries. Each
applied rule is named in ``Classification.rules`` so the audit log and the tests can say why.

Pure: no database, no clock. The caller of this function persists the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from callmodel.calltypes import CallType
from callmodel.phones import normalize_phone
from crm.domain import messages as msg
from crm.domain.deadlines import GENERAL_INFO_NUMBER, rule_for
from crm.domain.special_lines import SpecialLine


@dataclass(frozen=True)
class BodyFacts:
    """The body (unit, company) a complaint/suggestion/praise is about."""

    name: str
    is_member: bool
    is_government: bool
    complaint_number: str | None = None  # the body's own complaint line


@dataclass(frozen=True)
class Intake:
    """What the agent recorded about the call."""

    call_type: CallType
    content: str = ""
    contact_number: str | None = None
    target: str | None = None  # 投诉/举报对象
    body: BodyFacts | None = None
    special_line: SpecialLine | None = None  # the agent referred the caller to this line
    reply_requested: bool = False  # suggestion/praise: the caller insists on a reply
    transferred_to_110: bool = True  # emergency: False when the 110 transfer did not happen
    general_info: bool = False  # shops, phone numbers …: tell the caller to dial 114
    about_sms: bool = False  # "I got an SMS from a department": not sent by the hotline
    all_channels_tried: bool = False  # complaint: the caller already tried every channel
    abnormal: str | None = None  # call-emergency plan: "fraud" | "harassment"


@dataclass(frozen=True)
class Classification:
    call_type: CallType
    contact_number: str | None
    forwardable: bool  # may become a work order for a unit
    archive_now: bool  # no further handling: archive as soon as registered
    confidential: bool = False
    notify_hotline_leader: bool = False
    transfer_to: str | None = None
    refer_number: str | None = None  # number the caller was given
    reply_requested: bool = False
    tell_caller: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    rules: tuple[str, ...] = field(default_factory=tuple)


# Rule names (stable identifiers: they appear in the audit log and in tests).
RULE_EMERGENCY = "emergency_transfer_and_archive"
RULE_SPECIAL_LINE = "special_line_consultation"
RULE_NON_MEMBER_NON_GOV = "non_member_non_government_invalid"
RULE_NON_MEMBER_GOV = "non_member_government_record_archive"
RULE_HELP_NO_CONTACT = "help_without_contact_becomes_suggestion"
RULE_NOT_FORWARDABLE = "complaint_or_report_missing_target_or_contact"
RULE_REPORT_CONFIDENTIAL = "report_confidential_leader_first"
RULE_SUGGESTION_PASSED_ON = "suggestion_praise_passed_on"
RULE_INVALID = "invalid_recorded_as_other"
RULE_EMERGENCY_DISPATCH = "emergency_not_transferred_dispatched_at_once"
RULE_GENERAL_INFO = "general_information_dial_114"
RULE_SMS = "sms_not_from_hotline"
RULE_COMFORT_ONLY = "all_channels_tried_comfort_only"
RULE_FRAUD = "abnormal_call_fraud"
RULE_HARASSMENT = "abnormal_call_harassment"
ABNORMAL_KINDS = ("fraud", "harassment")

_ABOUT_A_BODY = {CallType.COMPLAINT, CallType.SUGGESTION, CallType.PRAISE}


def classify(intake: Intake) -> Classification:
    """Apply the "Type-specific rules" of docs/hotline-rules.md to one registered call."""
    call_type = CallType(intake.call_type)
    contact = normalize_phone(intake.contact_number)

    def out(
        call_type: CallType,
        *,
        forwardable: bool,
        archive_now: bool,
        confidential: bool = False,
        notify_hotline_leader: bool = False,
        transfer_to: str | None = None,
        refer_number: str | None = None,
        tell_caller: tuple[str, ...] = (),
        notes: tuple[str, ...] = (),
        rules: tuple[str, ...] = (),
        reply_requested: bool = intake.reply_requested,
    ) -> Classification:
        return Classification(
            call_type=call_type,
            contact_number=contact,
            forwardable=forwardable,
            archive_now=archive_now,
            confidential=confidential,
            notify_hotline_leader=notify_hotline_leader,
            transfer_to=transfer_to,
            refer_number=refer_number,
            reply_requested=reply_requested,
            tell_caller=tell_caller,
            notes=notes,
            rules=rules,
        )

    if intake.abnormal is not None:
        if intake.abnormal not in ABNORMAL_KINDS:
            raise ValueError(f"abnormal must be one of {ABNORMAL_KINDS}")
        fraud = intake.abnormal == "fraud"
        return out(
            CallType.INVALID,
            forwardable=False,
            archive_now=True,
            refer_number=rule_for(CallType.EMERGENCY).transfer_to if fraud else None,
            tell_caller=(msg.FRAUD_WARNING,) if fraud else (),
            notes=(msg.ABNORMAL_FRAUD if fraud else msg.ABNORMAL_HARASSMENT,),
            rules=(RULE_FRAUD if fraud else RULE_HARASSMENT,),
        )

    if call_type is CallType.EMERGENCY and not intake.transferred_to_110:
        return out(
            call_type,
            forwardable=True,
            archive_now=False,
            notify_hotline_leader=True,
            notes=(msg.EMERGENCY_DISPATCHED,),
            rules=(RULE_EMERGENCY_DISPATCH,),
        )

    if call_type is CallType.EMERGENCY:
        return out(
            call_type,
            forwardable=True,
            archive_now=True,
            notify_hotline_leader=True,
            transfer_to=rule_for(call_type).transfer_to,
            notes=(msg.EMERGENCY_ARCHIVED,),
            rules=(RULE_EMERGENCY,),
        )

    if intake.special_line is not None:
        line = intake.special_line
        return out(
            CallType.CONSULTATION,
            forwardable=False,
            archive_now=True,
            refer_number=line.number,
            tell_caller=(msg.SPECIAL_LINE.format(name=line.name, number=line.number),),
            notes=(f"转{line.name}专线{line.number}",),
            rules=(RULE_SPECIAL_LINE,),
        )

    if intake.general_info:
        return out(
            CallType.CONSULTATION,
            forwardable=False,
            archive_now=True,
            refer_number=GENERAL_INFO_NUMBER,
            tell_caller=(msg.GENERAL_INFO,),
            rules=(RULE_GENERAL_INFO,),
        )

    if intake.about_sms:
        body = intake.body.name if intake.body else "发送短信的部门"
        number = intake.body.complaint_number if intake.body else None
        return out(
            CallType.CONSULTATION,
            forwardable=False,
            archive_now=True,
            refer_number=number,
            tell_caller=(msg.SMS_NOT_FROM_HOTLINE.format(body=body, number=number or "—"),),
            rules=(RULE_SMS,),
        )

    if call_type is CallType.COMPLAINT and intake.all_channels_tried:
        return out(
            call_type,
            forwardable=False,
            archive_now=True,
            tell_caller=(msg.COMFORT_ONLY,),
            notes=(msg.ALL_CHANNELS_TRIED,),
            rules=(RULE_COMFORT_ONLY,),
        )

    if call_type in _ABOUT_A_BODY and intake.body is not None and not intake.body.is_member:
        if not intake.body.is_government:
            note, rule = (
                msg.INVALID_NON_MEMBER.format(unit=intake.body.name),
                RULE_NON_MEMBER_NON_GOV,
            )
        else:
            note = msg.INVALID_NON_MEMBER_GOVERNMENT.format(unit=intake.body.name)
            rule = RULE_NON_MEMBER_GOV
        return out(
            CallType.INVALID,
            forwardable=False,
            archive_now=True,
            refer_number=intake.body.complaint_number,
            notes=(note,),
            rules=(rule,),
        )

    if call_type is CallType.HELP and contact is None:
        return out(
            CallType.SUGGESTION,
            forwardable=True,
            archive_now=False,
            tell_caller=(msg.HELP_WITHOUT_CONTACT,),
            notes=("求助未留联系电话，按意见建议登记",),
            rules=(RULE_HELP_NO_CONTACT,),
            reply_requested=False,
        )

    if call_type in (CallType.COMPLAINT, CallType.REPORT):
        missing = []
        if not (intake.target or "").strip():
            missing.append(msg.MISSING_TARGET)
        if contact is None:
            missing.append(msg.MISSING_CONTACT)
        if missing:
            body = intake.body.name if intake.body else "相关主管部门"
            number = intake.body.complaint_number if intake.body else None
            what = "和".join(missing)
            told = (
                msg.NOT_FORWARDABLE.format(missing=what, body=body, number=number)
                if number
                else msg.NOT_FORWARDABLE_NO_NUMBER.format(missing=what, body=body)
            )
            return out(
                call_type,
                forwardable=False,
                archive_now=True,
                confidential=call_type is CallType.REPORT,
                notify_hotline_leader=call_type is CallType.REPORT,
                refer_number=number,
                tell_caller=(told,),
                notes=(f"无法转办：缺少{what}",),
                rules=(RULE_NOT_FORWARDABLE,),
            )

    if call_type is CallType.REPORT:
        return out(
            call_type,
            forwardable=True,
            archive_now=False,
            confidential=True,
            notify_hotline_leader=True,
            rules=(RULE_REPORT_CONFIDENTIAL,),
        )

    if call_type in (CallType.SUGGESTION, CallType.PRAISE):
        return out(
            call_type,
            forwardable=True,
            archive_now=False,
            tell_caller=(
                msg.PRAISE_PASSED_ON if call_type is CallType.PRAISE else msg.SUGGESTION_PASSED_ON,
            ),
            rules=(RULE_SUGGESTION_PASSED_ON,),
        )

    if call_type is CallType.INVALID:
        # docs/hotline-rules.md, call types: 无效 is recorded under 其他 with a note.
        return out(
            call_type,
            forwardable=False,
            archive_now=True,
            notes=(msg.INVALID_OTHER,),
            rules=(RULE_INVALID,),
        )

    return out(call_type, forwardable=True, archive_now=False)
