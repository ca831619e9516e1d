"""Registering a call (登记): classification, deadlines, the caller, and the emergency archive.

``register_ticket`` after the agent fills the form; ``archive_emergency`` right after a
successful 110 transfer. None commits: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmodel.calltypes import CallType, TicketStatus
from callmodel.phones import normalize_phone
from crm import audit
from crm.domain import messages as msg
from crm.domain.access import (
    MAY_REGISTER,
    Role,
    Viewer,
)
from crm.domain.classification import BodyFacts, Classification, Intake, classify
from crm.domain.deadlines import Deadlines, compute_deadlines
from crm.domain.emergency_plan import judged_kind
from crm.domain.errors import InvalidInput, NotFound, RuleViolation
from crm.domain.lifecycle import Action
from crm.domain.repairs import DEFAULT_REPEAT_DAYS, Repair, address_key, is_repair, repeated_repair
from crm.domain.special_lines import SpecialLine
from crm.domain.workcalendar import to_china
from crm.emergency.services import raise_plan_alerts
from crm.models.calls import Ticket
from crm.models.knowledge import SpecialLineEntry
from crm.models.workorders import Caller, ReturnVisit, StaffUser, TicketDetail, Unit
from crm.orders.tickets import called_at, get_ticket, raise_alert, require_role, transition
from crm.orders.visibility import ReadRefused, may_read

RETYPE_REFUSED = "举报件仅热线负责人和指定审核人员可以查看，不能由他人重新登记或改为其他类型。"


@dataclass(frozen=True)
class RegistrationForm:
    """What the agent fills in after (or during) the call."""

    call_type: CallType
    question: str
    contact_number: str | None = None
    caller_name: str | None = None
    caller_address: str | None = None
    location: str | None = None  # emergency: where it happens
    target: str | None = None  # complaint / report target
    body_unit_id: int | None = None  # the unit the call is about
    special_line_number: str | None = None  # agent referred the caller to this line
    reply_requested: bool = False  # suggestion / praise: caller insists on a reply
    assigned_reviewer: str | None = None  # report: the reviewer allowed to see it
    transferred_to_110: bool | None = None  # emergency; None: as the call record says
    general_info: bool = False  # told to dial 114
    about_sms: bool = False  # asks about a department's SMS
    all_channels_tried: bool = False  # complaint: comfort only
    abnormal: str | None = None  # "fraud" | "harassment" (call-emergency plan)
    repair_category: str | None = None  # help request: what is to be repaired (路灯, 供水 …)


def _upsert_caller(
    session: Session, number: str | None, name: str | None, address: str | None
) -> Caller | None:
    if number is None:
        return None
    caller = session.scalar(select(Caller).where(Caller.number == number))
    if caller is None:
        caller = Caller(number=number)
        session.add(caller)
    caller.name = name or caller.name
    caller.address = address or caller.address
    session.flush()
    return caller


def _transferred_to_110(ticket: Ticket, form: RegistrationForm) -> bool:
    """Emergencies are transferred to 110 unless the form or a failed 110 dial says otherwise."""
    if form.transferred_to_110 is not None:
        return form.transferred_to_110
    call = ticket.call
    failed = call is not None and call.route == "emergency" and bool(call.emergency_dial_status)
    return not (failed and call is not None and not call.transferred_to_110)


def _body_facts(session: Session, unit_id: int | None) -> BodyFacts | None:
    if unit_id is None:
        return None
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("单位", unit_id)
    return BodyFacts(unit.name, unit.is_member, unit.is_government, unit.complaint_number)


def _reviewer(session: Session, username: str | None) -> str | None:
    """The reviewer a report is assigned to, who alone (with the hotline leader) may read it:
    an active staff member with the reviewer role, or the report would go to someone who must
    not read it, or to nobody."""
    name = (username or "").strip()
    if not name:
        return None
    user = session.scalar(select(StaffUser).where(StaffUser.username == name))
    if user is None or not user.active or Role.REVIEWER.value not in (user.roles or []):
        raise InvalidInput(f"指定审核人员 {name} 不存在、已停用或不是后台工单审核人员")
    return name


def _special_line(session: Session, number: str | None) -> SpecialLine | None:
    if number is None:
        return None
    row = session.scalar(select(SpecialLineEntry).where(SpecialLineEntry.number == number))
    if row is None:
        raise NotFound("专线", number)
    return SpecialLine(row.number, row.name, row.scope, tuple(row.keywords))


def _deadline_sentence(cls: Classification, deadlines: Deadlines) -> tuple[str, ...]:
    """Tell the caller the reply deadline of an order that will be followed up
    (docs/hotline-rules.md, Handling principles, 5)."""
    if cls.archive_now or not cls.forwardable or deadlines.reply_due is None:
        return ()
    due = to_china(deadlines.reply_due)
    # A date counted on an unpublished year is told as 预计 (docs/hotline-rules.md, Handling
    # principles, 5: the caller is told the deadline; it may still move with the notice).
    sentence = msg.REPLY_DEADLINE_PROVISIONAL if deadlines.provisional else msg.REPLY_DEADLINE
    return (sentence.format(due=f"{due.month}月{due.day}日{due:%H:%M}"),)


def _store_classification(detail: TicketDetail, cls: Classification, deadlines: Deadlines) -> None:
    detail.call_type = cls.call_type.value
    detail.contact_number = cls.contact_number
    detail.forwardable = cls.forwardable
    detail.reply_requested = cls.reply_requested
    detail.confidential = cls.confidential
    detail.refer_number = cls.refer_number
    detail.rules = list(cls.rules)
    detail.notes = list(cls.notes)
    detail.tell_caller = [*cls.tell_caller, *_deadline_sentence(cls, deadlines)]
    detail.reply_due = deadlines.reply_due
    detail.dispatch_due = deadlines.dispatch_due
    detail.unit_feedback_due = deadlines.unit_feedback_due
    detail.archive_due = deadlines.archive_due
    detail.deadlines_provisional = deadlines.provisional


def _repair_of(ticket: Ticket, detail: TicketDetail, address: str | None) -> Repair:
    return Repair(
        number=ticket.number,
        call_type=CallType(detail.call_type),
        category=detail.repair_category or "",
        address=address or "",
        called_at=detail.called_at,
        status=TicketStatus(ticket.status),
        closed_at=ticket.archived_at or detail.answered_at,
    )


def _mark_repeat_repair(
    session: Session, ticket: Ticket, detail: TicketDetail, form: RegistrationForm, days: int
) -> None:
    """docs/hotline-rules.md, "Figures a supervisor is judged on": the same repair twice in a
    short period needs a leader's visit. The key of the place is stored, so the next repair of
    the same place finds this one."""
    place = form.location or form.caller_address
    alerted = detail.repeat_repair_of  # a corrected registration does not alert twice
    detail.repair_category = form.repair_category
    detail.address_key = address_key(place) or None
    detail.repeat_repair_of = None
    new = _repair_of(ticket, detail, place)
    if not is_repair(new):
        return
    candidates = session.execute(
        select(Ticket, TicketDetail)
        .join(TicketDetail, TicketDetail.ticket_id == Ticket.id)
        .where(
            TicketDetail.address_key == detail.address_key,
            TicketDetail.call_type == CallType.HELP.value,
            Ticket.id != ticket.id,
        )
    ).all()
    unresolved = set(
        session.scalars(
            select(ReturnVisit.ticket_id).where(
                ReturnVisit.ticket_id.in_([t.id for t, _ in candidates]),
                ReturnVisit.resolved.is_(False),
            )
        )
    )
    priors = [
        replace(_repair_of(t, d, place), unresolved=t.id in unresolved) for t, d in candidates
    ]
    prior = repeated_repair(new, priors, days)
    if prior is None:
        return
    detail.repeat_repair_of = prior.number
    detail.notes = [*detail.notes, msg.REPEAT_REPAIR_NOTE.format(prior=prior.number, days=days)]
    if alerted == prior.number:
        return
    raise_alert(
        session,
        ticket,
        "leader_visit",
        Role.HOTLINE_LEADER.value,
        msg.LEADER_VISIT_ALERT.format(
            number=ticket.number,
            category=form.repair_category,
            address=place,
            prior=prior.number,
            days=days,
        ),
    )
    session.flush()


def register_ticket(
    session: Session,
    ticket_id: int,
    form: RegistrationForm,
    actor: Viewer,
    now: datetime | None = None,
    *,
    repeat_repair_days: int = DEFAULT_REPEAT_DAYS,
) -> TicketDetail:
    """Record the type and facts the agent filled in; apply the rules; archive what ends here.

    Emergencies are archived at once with the hotline leader notified; invalid calls, special-line
    referrals and complaints/reports that cannot be forwarded are closed. Re-registering is allowed
    while the ticket is still only registered (the agent corrects a mistake). A help request that
    repeats a repair fixed within ``repeat_repair_days`` asks the hotline leader for a visit.
    """
    require_role(actor, MAY_REGISTER, "登记来电")
    ticket = get_ticket(session, ticket_id)
    if ticket.status != TicketStatus.REGISTERED:
        raise RuleViolation("lifecycle", f"定单{ticket.number}已处理，不能重新登记。")
    if session.get(TicketDetail, ticket.id) is not None and not may_read(session, ticket, actor):
        # Re-typing a report would overwrite it and drop its confidentiality.
        entry = dict(
            actor=actor.username, action="register_denied", entity="ticket", entity_id=ticket.id
        )
        audit.record(session, **entry)
        raise ReadRefused(entry, RETYPE_REFUSED)
    reviewer = _reviewer(session, form.assigned_reviewer)
    intake = Intake(
        call_type=CallType(form.call_type),
        content=form.question,
        contact_number=form.contact_number,
        target=form.target,
        body=_body_facts(session, form.body_unit_id),
        special_line=_special_line(session, form.special_line_number),
        reply_requested=form.reply_requested,
        transferred_to_110=_transferred_to_110(ticket, form),
        general_info=form.general_info,
        about_sms=form.about_sms,
        all_channels_tried=form.all_channels_tried,
        abnormal=form.abnormal,
    )
    try:
        cls = classify(intake)
    except ValueError as exc:
        raise RuleViolation("registration", str(exc)) from exc
    start = called_at(ticket)
    deadlines = compute_deadlines(cls.call_type, start, reply_requested=cls.reply_requested)
    caller_number = cls.contact_number or normalize_phone(ticket.caller_number)
    caller = _upsert_caller(session, caller_number, form.caller_name, form.caller_address)

    detail = session.get(TicketDetail, ticket.id)
    if detail is None:
        detail = TicketDetail(ticket_id=ticket.id, taken_by=actor.username, called_at=start)
        session.add(detail)
    detail.caller_id = caller.id if caller else None
    detail.requested_type = CallType(form.call_type).value
    detail.question = form.question
    detail.location = form.location
    detail.target = form.target
    detail.body_unit_id = form.body_unit_id
    detail.special_line = form.special_line_number
    detail.assigned_reviewer = reviewer
    _store_classification(detail, cls, deadlines)
    ticket.call_type = cls.call_type
    ticket.content = form.question
    ticket.handling_note = "\n".join(cls.notes) or None
    session.flush()
    _mark_repeat_repair(session, ticket, detail, form, repeat_repair_days)
    audit.record(
        session,
        actor.username,
        "register",
        "ticket",
        ticket.id,
        call_type=cls.call_type.value,
        rules=list(cls.rules),
    )

    if cls.call_type is CallType.EMERGENCY and cls.archive_now:
        archive_emergency(session, ticket.id, actor, now=now)
    elif cls.archive_now:
        transition(session, ticket, detail, Action.CLOSE, actor, now=now)
        detail.result = "\n".join(cls.tell_caller) or None
    elif cls.call_type is CallType.EMERGENCY:
        raise_alert(
            session,
            ticket,
            "emergency_dispatch",
            Role.HOTLINE_LEADER.value,
            f"紧急求助定单{ticket.number}未能转110，须立即派单，单位15分钟内反馈。",
        )
    elif cls.notify_hotline_leader:
        # A report goes first to the hotline leader (保密, 先报热线负责人).
        raise_alert(
            session,
            ticket,
            "report_registered",
            Role.HOTLINE_LEADER.value,
            f"举报定单{ticket.number}已登记，请热线负责人先行审阅。",
        )
    # docs/hotline-rules.md, "Call-emergency plan": once judged fraud, harassment or emergency,
    # the handling group is told, then leadership.
    kind = judged_kind(cls.call_type, cls.rules)
    if kind is not None:
        raise_plan_alerts(session, ticket, kind)
    return detail


def archive_emergency(
    session: Session,
    ticket_id: int,
    actor: Viewer,
    *,
    location: str | None = None,
    contact_number: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Emergency: transferred to 110, recorded, archived at once, hotline leader notified.

    Safe to call from the call path right after the 110 transfer, before any agent registered the
    ticket: a minimal registration (type emergency) is created then.
    """
    ticket = get_ticket(session, ticket_id)
    detail = session.get(TicketDetail, ticket.id)
    if detail is None and ticket.status == TicketStatus.ARCHIVED:
        # The call path already archived it at the 110 transfer and alerted the hotline leader:
        # only the rules' record is missing. Write it without a second transition or alert.
        cls = classify(
            Intake(
                CallType.EMERGENCY,
                ticket.content or "",
                contact_number=contact_number or ticket.caller_number,
            )
        )
        start = called_at(ticket)
        detail = TicketDetail(
            ticket_id=ticket.id,
            taken_by=actor.username,
            called_at=start,
            requested_type=CallType.EMERGENCY.value,
            question=ticket.content or "",
            location=location,
            result=msg.EMERGENCY_ARCHIVED,
        )
        _store_classification(detail, cls, compute_deadlines(CallType.EMERGENCY, start))
        session.add(detail)
        session.flush()
        audit.record(
            session, actor.username, "register", "ticket", ticket.id, call_type="emergency"
        )
        return ticket
    if detail is None:
        form = RegistrationForm(
            CallType.EMERGENCY,
            ticket.content or "",
            contact_number=contact_number or ticket.caller_number,
            location=location,
        )
        register_ticket(session, ticket.id, form, actor, now=now)
        return ticket
    if location:
        detail.location = location
    if contact_number:
        detail.contact_number = normalize_phone(contact_number)
    transition(session, ticket, detail, Action.ARCHIVE_EMERGENCY, actor, now=now)
    detail.result = msg.EMERGENCY_ARCHIVED
    return ticket
