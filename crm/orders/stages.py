"""The stages after registration: dispatch (派单), the unit's reply, answering the caller,
the return visit, archive, knowledge-base answers, hand-over, and where a complaint goes.
None commits: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmodel.calltypes import CallType
from crm import audit
from crm.domain import messages as msg
from crm.domain.access import (
    MAY_DISPATCH,
    MAY_REVIEW,
    Role,
    Viewer,
    can_read,
)
from crm.domain.errors import Forbidden, NotFound, RuleViolation
from crm.domain.lifecycle import Action, ActionInput
from crm.domain.routing import UnitRef, complaint_destinations
from crm.domain.workcalendar import to_china
from crm.models.calls import Ticket
from crm.models.knowledge import KbAnswer, KbArticle
from crm.models.workorders import ReturnVisit, TicketDetail, Unit, UnitReply, WorkOrder
from crm.orders.tickets import (
    EFFICIENCY_UNIT_CODE,
    at_or_now,
    get_detail,
    get_ticket,
    require_role,
    transition,
    visibility,
)


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
    if detail.call_type != CallType.REPORT.value:  # reports: checked by transition (leader first)
        require_role(actor, MAY_DISPATCH, "派单")
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("单位", unit_id)
    if detail.call_type == CallType.REPORT.value and not unit.handles_reports:
        # docs/hotline-rules.md, "Whistle-blowing report": forwarded to 纪检监察 or judicial bodies.
        raise RuleViolation("report_recipient", msg.REPORT_RECIPIENT.format(unit=unit.name))
    simple = simple_reason is not None
    action = Action.MARK_SIMPLE if simple else Action.DISPATCH
    transition(
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
        dispatched_at=at_or_now(now),
        feedback_due=detail.unit_feedback_due,
    )
    session.add(order)
    session.flush()
    audit.record(session, actor.username, "dispatch", "work_order", order.id, unit_id=unit_id)
    return order


def open_work_order(session: Session, ticket_id: int) -> WorkOrder:
    """The work order a unit is working on for this ticket, or a rule violation."""
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
    order = open_work_order(session, ticket_id)
    if detail.simple:
        require_role(actor, MAY_REVIEW, "记录简易工单答复")
        action = Action.REVIEWER_RECORD
    else:
        allowed = actor.roles & (MAY_REVIEW | MAY_DISPATCH | {Role.HOTLINE_LEADER}) or (
            Role.UNIT in actor.roles and actor.unit_id == order.unit_id
        )
        if not allowed:
            raise Forbidden("只有承办单位或审核人员可以录入反馈。")
        action = Action.UNIT_REPLY
    transition(
        session,
        ticket,
        detail,
        action,
        actor,
        ActionInput(answered_by=answered_by, answer=content),
        now=now,
    )
    moment = at_or_now(now)
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
    transition(session, ticket, detail, Action.ANSWER_CALLER, actor, now=now)
    detail.result = result
    detail.answered_at = at_or_now(now)
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
    """The return visit (回访): the caller's satisfaction, then the order can be archived."""
    ticket = get_ticket(session, ticket_id)
    detail = get_detail(session, ticket_id)
    transition(
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
        visited_at=at_or_now(now),
    )
    detail.satisfied = satisfaction >= 4
    session.add(visit)
    session.flush()
    return visit


def archive(session: Session, ticket_id: int, actor: Viewer, now: datetime | None = None) -> Ticket:
    """Archive (归档) an order whose stages are done."""
    ticket = get_ticket(session, ticket_id)
    transition(session, ticket, get_detail(session, ticket_id), Action.ARCHIVE, actor, now=now)
    return ticket


def auto_archive(
    session: Session, ticket_id: int, actor: Viewer, now: datetime | None = None
) -> Ticket:
    """Suggestion/praise the unit did not answer within 24 h (no reply requested)."""
    ticket = get_ticket(session, ticket_id)
    detail = get_detail(session, ticket_id)
    moment = at_or_now(now)
    transition(
        session, ticket, detail, Action.AUTO_ARCHIVE, actor, ActionInput(now=moment), now=moment
    )
    detail.result = "单位24小时内未反馈，按规定归档。"
    return ticket


def _without_reply_promise(detail: TicketDetail) -> list[str]:
    """What the caller is told once the knowledge base answered them on the phone: the reply
    deadline the registration promised ("我们将在…前答复您") names a reply that will not come,
    so it is dropped. The promise is the sentence naming the reply day, whatever its wording."""
    if detail.reply_due is None:
        return list(detail.tell_caller)
    due = to_china(detail.reply_due)
    day = f"{due.month}月{due.day}日"
    return [said for said in detail.tell_caller if day not in said]


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
    transition(
        session,
        ticket,
        detail,
        Action.ANSWER_FROM_KB,
        actor,
        ActionInput(kb_article_id=article_id),
        now=now,
    )
    moment = at_or_now(now)
    detail.result = f"按知识库《{article.title}》答复"
    detail.answered_at = moment
    detail.tell_caller = _without_reply_promise(detail)
    answer = KbAnswer(
        ticket_id=ticket.id, article_id=article.id, answered_by=actor.username, answered_at=moment
    )
    session.add(answer)
    session.flush()
    return answer


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
