"""Tickets through their lifecycle: register, dispatch, reply, answer, visit, archive, chases.

Every function here: loads the rows, asks ``crm.domain`` (classification, deadlines, lifecycle,
repeat rules), writes the outcome and one audit entry with the acting user. None commits: the
caller owns the transaction (``crm.db.transaction`` or the API's per-request session).

Entry points for the call path (agent screen, AMI bridge):
  - ``register_ticket(session, ticket_id, form, actor, now=None)`` after the agent fills the form;
  - ``archive_emergency(session, ticket_id, actor, location=None, contact_number=None, now=None)``;
  - ``handle_repeat_call(session, ticket_id, actor, previous_ticket_id=None, caller_unhappy=False)``
    which decides chase (催单) vs re-dispatch for a repeat caller and applies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from callmodel.calltypes import CallType, TicketStatus
from crm import audit
from crm.domain import messages as msg
from crm.domain.access import (
    MAY_DISPATCH,
    MAY_REGISTER,
    MAY_REVIEW,
    OrderVisibility,
    Role,
    Viewer,
    can_read,
    read_must_be_audited,
)
from crm.domain.classification import BodyFacts, Classification, Intake, classify
from crm.domain.deadlines import Deadlines, compute_deadlines
from crm.domain.errors import Forbidden, NotFound, RuleViolation
from crm.domain.lifecycle import Action, ActionInput, Effect, OrderFacts, Outcome, apply
from crm.domain.phones import normalize_phone
from crm.domain.repeat import PriorOrder, RepeatDecision, decide_repeat
from crm.domain.routing import UnitRef, complaint_destinations
from crm.domain.special_lines import SpecialLine
from crm.domain.workcalendar import to_china
from crm.models.calls import Alert, Ticket
from crm.models.knowledge import KbAnswer, KbArticle, SpecialLineEntry
from crm.models.workorders import Caller, ReturnVisit, TicketDetail, Unit, UnitReply, WorkOrder
from crm.orders.numbering import next_ticket_number

# Serious complaints are also referred to this unit (效能监察): its code in config/units.yaml.
EFFICIENCY_UNIT_CODE = "city-efficiency"

# The call path acts as a first-contact agent; use it when no person is signed in yet.
SYSTEM = Viewer("system", frozenset({Role.AGENT, Role.SHIFT_LEADER}))


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


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _require_role(actor: Viewer, allowed: frozenset[Role], what: str) -> None:
    if not actor.roles & allowed:
        names = "、".join(sorted(r.label for r in allowed))
        raise Forbidden(f"{what}需要以下角色之一：{names}")


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("定单", ticket_id)
    return ticket


def get_detail(session: Session, ticket_id: int) -> TicketDetail:
    detail = session.get(TicketDetail, ticket_id)
    if detail is None:
        raise RuleViolation("not_registered", f"定单 {ticket_id} 尚未登记来电类型。")
    return detail


def called_at(ticket: Ticket) -> datetime:
    """The call's timestamp, from which every limit runs."""
    if ticket.call is not None and ticket.call.started_at is not None:
        return ticket.call.started_at
    return ticket.created_at


def deadlines_of(detail: TicketDetail) -> Deadlines:
    return compute_deadlines(
        detail.call_type, detail.called_at, reply_requested=detail.reply_requested
    )


def _facts(ticket: Ticket, detail: TicketDetail) -> OrderFacts:
    return OrderFacts(
        call_type=CallType(detail.call_type),
        status=TicketStatus(ticket.status),
        called_at=detail.called_at,
        forwardable=detail.forwardable,
        reply_requested=detail.reply_requested,
        simple=detail.simple,
    )


def _alert(session: Session, ticket: Ticket, kind: str, audience: str, message: str) -> None:
    session.add(Alert(kind=kind, audience=audience, ticket_id=ticket.id, message=message, data={}))


def _transition(
    session: Session,
    ticket: Ticket,
    detail: TicketDetail,
    action: Action,
    actor: Viewer,
    data: ActionInput | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Apply one lifecycle action and carry out its effects.

    A report (举报) can only be acted on by those who may read it: the hotline leader and the
    assigned reviewer (plus the scheduler, which never touches reports: they do not auto-archive).
    """
    is_report = detail.call_type == CallType.REPORT.value and action is not Action.CLOSE
    if is_report and not can_read(actor, visibility(session, ticket, detail)):
        raise Forbidden("举报件仅热线负责人和指定审核人员可以办理。")
    outcome = apply(_facts(ticket, detail), action, data)
    ticket.status = outcome.status
    detail.simple = outcome.simple
    if outcome.status is TicketStatus.ARCHIVED:
        ticket.archived_at = _now(now)
    for effect in outcome.effects:
        if effect is Effect.NOTIFY_HOTLINE_LEADER:
            _alert(
                session,
                ticket,
                f"{detail.call_type}_reported",
                Role.HOTLINE_LEADER.value,
                f"定单{ticket.number}（{CallType(detail.call_type).label}）请热线负责人知悉。",
            )
        elif effect is Effect.RETURN_TO_SHIFT_LEADER:
            _alert(
                session,
                ticket,
                "simple_order_answered",
                Role.SHIFT_LEADER.value,
                f"简易工单{ticket.number}已记录单位答复，请值班长答复来电人。",
            )
    audit.record(
        session, actor.username, action.value, "ticket", ticket.id, status=outcome.status.value
    )
    return outcome


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
    return (msg.REPLY_DEADLINE.format(due=f"{due.month}月{due.day}日{due:%H:%M}"),)


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


def register_ticket(
    session: Session,
    ticket_id: int,
    form: RegistrationForm,
    actor: Viewer,
    now: datetime | None = None,
) -> TicketDetail:
    """Record the type and facts the agent filled in; apply the rules; archive what ends here.

    Emergencies are archived at once with the hotline leader notified; invalid calls, special-line
    referrals and complaints/reports that cannot be forwarded are closed. Re-registering is allowed
    while the ticket is still only registered (the agent corrects a mistake).
    """
    _require_role(actor, MAY_REGISTER, "登记来电")
    ticket = get_ticket(session, ticket_id)
    if ticket.status != TicketStatus.REGISTERED:
        raise RuleViolation("lifecycle", f"定单{ticket.number}已处理，不能重新登记。")
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
    detail.assigned_reviewer = form.assigned_reviewer
    _store_classification(detail, cls, deadlines)
    ticket.call_type = cls.call_type
    ticket.content = form.question
    ticket.handling_note = "\n".join(cls.notes) or None
    session.flush()
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
        _transition(session, ticket, detail, Action.CLOSE, actor, now=now)
        detail.result = "\n".join(cls.tell_caller) or None
    elif cls.call_type is CallType.EMERGENCY:
        _alert(
            session,
            ticket,
            "emergency_dispatch",
            Role.HOTLINE_LEADER.value,
            f"紧急求助定单{ticket.number}未能转110，须立即派单，单位15分钟内反馈。",
        )
    elif cls.notify_hotline_leader:
        # A report goes first to the hotline leader (保密, 先报热线负责人).
        _alert(
            session,
            ticket,
            "report_registered",
            Role.HOTLINE_LEADER.value,
            f"举报定单{ticket.number}已登记，请热线负责人先行审阅。",
        )
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
    _transition(session, ticket, detail, Action.ARCHIVE_EMERGENCY, actor, now=now)
    detail.result = msg.EMERGENCY_ARCHIVED
    return ticket


def _prior_order(ticket: Ticket, detail: TicketDetail) -> PriorOrder:
    return PriorOrder(
        number=ticket.number,
        call_type=CallType(detail.call_type),
        status=TicketStatus(ticket.status),
        called_at=detail.called_at,
        reply_requested=detail.reply_requested,
    )


def latest_prior_ticket(session: Session, ticket: Ticket) -> Ticket | None:
    """The caller's most recent earlier registered ticket that was not itself a chase.

    Matched on the number the call path stored (indexed) or on the contact number an agent
    registered for the same caller, so a caller ringing from another phone is still found.
    """
    number = normalize_phone(ticket.caller_number)
    if number is None:
        return None
    caller_ids = select(Caller.id).where(Caller.number == number)
    query = (
        select(Ticket)
        .join(TicketDetail, TicketDetail.ticket_id == Ticket.id)
        .where(Ticket.id != ticket.id, Ticket.created_at <= ticket.created_at)
        .where(TicketDetail.call_type != CallType.INVALID.value)
        .where(
            or_(
                Ticket.caller_number.in_({ticket.caller_number, number}),
                TicketDetail.caller_id.in_(caller_ids),
            )
        )
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def handle_repeat_call(
    session: Session,
    ticket_id: int,
    actor: Viewer,
    *,
    previous_ticket_id: int | None = None,
    caller_unhappy: bool = False,
    now: datetime | None = None,
) -> RepeatDecision:
    """A caller rings again about an earlier order: chase, or a new order re-dispatched.

    Chase: this ticket is recorded as invalid/other with "chase of order N" and archived; nothing
    is dispatched. Re-dispatch: this ticket takes the old order's type and question, references it
    (``previous_ticket_id``) and goes to the old order's unit with the three notes.
    """
    _require_role(actor, MAY_REGISTER, "登记来电")
    ticket = get_ticket(session, ticket_id)
    prior: Ticket | None
    if previous_ticket_id is not None:
        prior = get_ticket(session, previous_ticket_id)
    else:
        prior = latest_prior_ticket(session, ticket)
    prior_detail = session.get(TicketDetail, prior.id) if prior is not None else None
    moment = now or called_at(ticket)
    decision = decide_repeat(
        _prior_order(prior, prior_detail) if prior and prior_detail else None,
        moment,
        caller_unhappy=caller_unhappy,
    )
    if prior is None or prior_detail is None or decision.kind == "new":
        if prior is not None:
            ticket.previous_ticket_id = prior.id
        return decision
    ticket.previous_ticket_id = prior.id
    if decision.is_chase:
        form = RegistrationForm(CallType.INVALID, msg.CHASE_NOTE.format(number=prior.number))
        detail = register_ticket(session, ticket.id, form, actor, now=now)
        detail.notes = list(decision.notes)
        ticket.handling_note = "\n".join(decision.notes)
        audit.record(session, actor.username, "chase", "ticket", ticket.id, of=prior.number)
        return decision

    assert decision.call_type is not None
    form = RegistrationForm(
        decision.call_type,
        prior_detail.question,
        contact_number=prior_detail.contact_number,
        target=prior_detail.target,
        location=prior_detail.location,
        body_unit_id=prior_detail.body_unit_id,
        reply_requested=prior_detail.reply_requested,
        assigned_reviewer=prior_detail.assigned_reviewer,
    )
    detail = register_ticket(session, ticket.id, form, actor, now=now)
    detail.notes = [*detail.notes, *decision.notes]
    ticket.handling_note = "\n".join(detail.notes)
    last_order = session.scalar(
        select(WorkOrder)
        .where(WorkOrder.ticket_id == prior.id)
        .order_by(WorkOrder.dispatched_at.desc(), WorkOrder.id.desc())
    )
    unit_id = last_order.unit_id if last_order else prior_detail.body_unit_id
    # The shift leader re-dispatches; an agent's registration waits for them with the notes.
    can_dispatch = bool(actor.roles & MAY_DISPATCH)
    if unit_id is not None and can_dispatch and ticket.status == TicketStatus.REGISTERED:
        dispatch(session, ticket.id, unit_id, actor, now=now)
    audit.record(session, actor.username, "redispatch", "ticket", ticket.id, of=prior.number)
    return decision


def create_repeat_ticket(
    session: Session, prior_ticket_id: int, caller_number: str, now: datetime | None = None
) -> Ticket:
    """A new ticket for a repeat call when the call path did not create one (e.g. a callback)."""
    moment = _now(now)
    ticket = Ticket(
        number=next_ticket_number(session, moment),
        caller_number=caller_number,
        created_at=moment,
        status=TicketStatus.REGISTERED,
        previous_ticket_id=prior_ticket_id,
    )
    session.add(ticket)
    session.flush()
    return ticket


def _dispatch_notes(call_type: CallType) -> tuple[str, ...]:
    if call_type is CallType.EMERGENCY:
        return msg.EMERGENCY_DISPATCH_NOTES
    if call_type is CallType.HELP:
        return msg.DISPATCH_NOTES
    return ()


def dispatch(
    session: Session,
    ticket_id: int,
    unit_id: int,
    actor: Viewer,
    *,
    simple_reason: str | None = None,
    notes: tuple[str, ...] = (),
    now: datetime | None = None,
) -> WorkOrder:
    """下派工单 to a unit; with ``simple_reason`` it is a simple work order (简易工单)."""
    ticket = get_ticket(session, ticket_id)
    detail = get_detail(session, ticket_id)
    if detail.call_type != CallType.REPORT.value:  # reports: checked by _transition (leader first)
        _require_role(actor, MAY_DISPATCH, "派单")
    if session.get(Unit, unit_id) is None:
        raise NotFound("单位", unit_id)
    simple = simple_reason is not None
    action = Action.MARK_SIMPLE if simple else Action.DISPATCH
    _transition(
        session,
        ticket,
        detail,
        action,
        actor,
        ActionInput(unit_id=unit_id, reason=simple_reason),
        now=now,
    )
    detail.simple_reason = simple_reason
    own_notes = _dispatch_notes(CallType(detail.call_type))
    order = WorkOrder(
        ticket_id=ticket.id,
        unit_id=unit_id,
        kind="simple" if simple else "normal",
        reason=simple_reason,
        notes=list(dict.fromkeys([*notes, *detail.notes, *own_notes])),
        dispatched_by=actor.username,
        dispatched_at=_now(now),
        feedback_due=detail.unit_feedback_due,
    )
    session.add(order)
    session.flush()
    audit.record(session, actor.username, "dispatch", "work_order", order.id, unit_id=unit_id)
    return order


def _open_work_order(session: Session, ticket_id: int) -> WorkOrder:
    order = session.scalar(
        select(WorkOrder)
        .where(WorkOrder.ticket_id == ticket_id, WorkOrder.replied_at.is_(None))
        .order_by(WorkOrder.id.desc())
    )
    if order is None:
        raise RuleViolation("unit_reply", "没有待反馈的工单。")
    return order


def record_unit_reply(
    session: Session,
    ticket_id: int,
    content: str,
    actor: Viewer,
    *,
    answered_by: str | None = None,
    now: datetime | None = None,
) -> UnitReply:
    """The unit's feedback; for a simple order the reviewer records who answered and what."""
    ticket = get_ticket(session, ticket_id)
    detail = get_detail(session, ticket_id)
    order = _open_work_order(session, ticket_id)
    if detail.simple:
        _require_role(actor, MAY_REVIEW, "记录简易工单答复")
        action = Action.REVIEWER_RECORD
    else:
        allowed = actor.roles & (MAY_REVIEW | MAY_DISPATCH | {Role.HOTLINE_LEADER}) or (
            Role.UNIT in actor.roles and actor.unit_id == order.unit_id
        )
        if not allowed:
            raise Forbidden("只有承办单位或审核人员可以录入反馈。")
        action = Action.UNIT_REPLY
    _transition(
        session,
        ticket,
        detail,
        action,
        actor,
        ActionInput(answered_by=answered_by, answer=content),
        now=now,
    )
    moment = _now(now)
    order.replied_at = moment
    reply = UnitReply(
        work_order_id=order.id,
        content=content,
        answered_by=answered_by,
        recorded_by=actor.username,
        replied_at=moment,
    )
    session.add(reply)
    session.flush()
    return reply


def answer_caller(
    session: Session, ticket_id: int, result: str, actor: Viewer, now: datetime | None = None
) -> Ticket:
    """The hotline passes the unit's reply on to the caller."""
    ticket = get_ticket(session, ticket_id)
    detail = get_detail(session, ticket_id)
    _transition(session, ticket, detail, Action.ANSWER_CALLER, actor, now=now)
    detail.result = result
    detail.answered_at = _now(now)
    return ticket


def return_visit(
    session: Session,
    ticket_id: int,
    satisfaction: int,
    resolved: bool,
    actor: Viewer,
    comment: str | None = None,
    now: datetime | None = None,
) -> ReturnVisit:
    ticket = get_ticket(session, ticket_id)
    detail = get_detail(session, ticket_id)
    _transition(
        session,
        ticket,
        detail,
        Action.RETURN_VISIT,
        actor,
        ActionInput(satisfaction=satisfaction),
        now=now,
    )
    visit = ReturnVisit(
        ticket_id=ticket.id,
        satisfaction=satisfaction,
        resolved=resolved,
        comment=comment,
        visited_by=actor.username,
        visited_at=_now(now),
    )
    detail.satisfied = satisfaction >= 4
    session.add(visit)
    session.flush()
    return visit


def archive(session: Session, ticket_id: int, actor: Viewer, now: datetime | None = None) -> Ticket:
    ticket = get_ticket(session, ticket_id)
    _transition(session, ticket, get_detail(session, ticket_id), Action.ARCHIVE, actor, now=now)
    return ticket


def auto_archive(
    session: Session, ticket_id: int, actor: Viewer, now: datetime | None = None
) -> Ticket:
    """Suggestion/praise the unit did not answer within 24 h (no reply requested)."""
    ticket = get_ticket(session, ticket_id)
    detail = get_detail(session, ticket_id)
    moment = _now(now)
    _transition(
        session, ticket, detail, Action.AUTO_ARCHIVE, actor, ActionInput(now=moment), now=moment
    )
    detail.result = "单位24小时内未反馈，按规定归档。"
    return ticket


def answer_from_kb(
    session: Session, ticket_id: int, article_id: int, actor: Viewer, now: datetime | None = None
) -> KbAnswer:
    """A standard answer from the knowledge base closes the ticket
    (docs/hotline-rules.md, Handling principles, 1)."""
    ticket = get_ticket(session, ticket_id)
    detail = get_detail(session, ticket_id)
    article = session.get(KbArticle, article_id)
    if article is None or not article.active:
        raise NotFound("知识库条目", article_id)
    _transition(
        session,
        ticket,
        detail,
        Action.ANSWER_FROM_KB,
        actor,
        ActionInput(kb_article_id=article_id),
        now=now,
    )
    moment = _now(now)
    detail.result = f"按知识库《{article.title}》答复"
    detail.answered_at = moment
    answer = KbAnswer(
        ticket_id=ticket.id, article_id=article.id, answered_by=actor.username, answered_at=moment
    )
    session.add(answer)
    session.flush()
    return answer


def visibility(session: Session, ticket: Ticket, detail: TicketDetail | None) -> OrderVisibility:
    order = session.scalar(
        select(WorkOrder).where(WorkOrder.ticket_id == ticket.id).order_by(WorkOrder.id.desc())
    )
    return OrderVisibility(
        call_type=CallType(detail.call_type if detail else (ticket.call_type or "consultation")),
        assigned_reviewer=detail.assigned_reviewer if detail else None,
        taken_by=detail.taken_by if detail else None,
        unit_id=order.unit_id if order else None,
    )


def read_ticket(session: Session, ticket_id: int, actor: Viewer) -> tuple[Ticket, TicketDetail]:
    """Load a ticket for display; reports only for their readers, and every such read audited."""
    ticket = get_ticket(session, ticket_id)
    detail = get_detail(session, ticket_id)
    vis = visibility(session, ticket, detail)
    if not can_read(actor, vis):
        audit.record(session, actor.username, "read_denied", "ticket", ticket.id)
        raise Forbidden("举报件仅热线负责人和指定审核人员可以查看。")
    if read_must_be_audited(vis):
        audit.record(session, actor.username, "read_confidential", "ticket", ticket.id)
    return ticket, detail


def hand_over(
    session: Session, ticket_id: int, to_username: str, note: str, actor: Viewer
) -> TicketDetail:
    """First-contact responsibility (首接负责) passes to another person only with a record."""
    if not note.strip():
        raise RuleViolation("first_contact", "移交须写明交接记录。")
    ticket = get_ticket(session, ticket_id)
    detail = get_detail(session, ticket_id)
    if not can_read(actor, visibility(session, ticket, detail)):
        raise Forbidden("无权移交该定单。")
    previous = detail.taken_by
    detail.taken_by = to_username
    detail.notes = [*detail.notes, f"首接责任由{previous}移交{to_username}：{note.strip()}"]
    audit.record(
        session, actor.username, "hand_over", "ticket", ticket.id, frm=previous, to=to_username
    )
    return detail


def complaint_units(
    session: Session, ticket_id: int, *, escalate: bool = False, serious: bool = False
) -> list[Unit]:
    """Where a complaint should be dispatched (district unit / city supervisor / 效能监察)."""
    detail = get_detail(session, ticket_id)
    if detail.call_type != CallType.COMPLAINT.value or detail.body_unit_id is None:
        raise RuleViolation("complaint_routing", "仅登记了所涉单位的投诉可以推荐承办单位。")
    about = session.get(Unit, detail.body_unit_id)
    assert about is not None
    supervisor = session.get(Unit, about.supervisor_id) if about.supervisor_id else None
    efficiency = session.scalar(select(Unit).where(Unit.code == EFFICIENCY_UNIT_CODE))

    def ref(u: Unit) -> UnitRef:
        return UnitRef(u.id, u.name, u.level, u.supervisor_id)

    chosen = complaint_destinations(
        ref(about),
        supervisor=ref(supervisor) if supervisor else None,
        escalate=escalate,
        serious=serious,
        efficiency_unit=ref(efficiency) if efficiency else None,
    )
    return [u for u in (session.get(Unit, c.id) for c in chosen) if u is not None]
