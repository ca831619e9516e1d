"""Work-order endpoints: register, dispatch, reply, answer, visit, archive, chases, KB answers.

Thin: each handler parses the body, calls one ``crm.orders.services`` function, commits, and
returns the order as the ticket view shows it (deadlines with the time left).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmodel.calltypes import CallType, TicketStatus
from callmodel.fields import Id, Limit
from callmodel.phones import mask_phone
from crm.domain.access import Viewer, can_read, read_must_be_audited
from crm.domain.deadlines import overdue_stages, time_left
from crm.domain.redaction import seal, sees_order_caller
from crm.domain.repairs import DEFAULT_REPEAT_DAYS
from crm.http.deps import NowDep, SessionDep, UserDep
from crm.http.errors import API_ERRORS
from crm.models.calls import Ticket
from crm.models.workorders import TicketDetail, Unit, UnitReply, WorkOrder
from crm.notifications import PlanAlerted
from crm.orders import schemas as s
from crm.orders import services as orders

router = APIRouter(prefix="/api/orders", tags=["work orders 工单"], responses=API_ERRORS)


def repeat_repair_days(request: Request) -> int:
    """The site's repeat-repair period (``repairs.repeat_days`` in the settings)."""
    settings = getattr(request.app.state, "settings", None)
    return settings.repairs.repeat_days if settings is not None else DEFAULT_REPEAT_DAYS


def order_view(
    session: Session, ticket: Ticket, detail: TicketDetail, now: datetime, viewer: Viewer
) -> s.OrderOut:
    """An order as ``viewer`` may see it: the caller's numbers in full for those who handle the
    caller (and, for a report, only its readers: crm.domain.redaction), masked for the rest."""
    deadlines = orders.deadlines_of(detail)
    status = TicketStatus(ticket.status)
    late = set(overdue_stages(deadlines, status, now))
    work_orders = []
    for wo in session.scalars(
        select(WorkOrder).where(WorkOrder.ticket_id == ticket.id).order_by(WorkOrder.id)
    ):
        unit = session.get(Unit, wo.unit_id)
        replies = session.scalars(
            select(UnitReply).where(UnitReply.work_order_id == wo.id).order_by(UnitReply.id)
        )
        work_orders.append(
            s.WorkOrderOut(
                id=wo.id,
                unit_id=wo.unit_id,
                unit_name=unit.name if unit else "",
                kind=wo.kind,
                reason=wo.reason,
                notes=wo.notes,
                dispatched_by=wo.dispatched_by,
                dispatched_at=wo.dispatched_at,
                feedback_due=wo.feedback_due,
                replied_at=wo.replied_at,
                replies=[s.ReplyOut.model_validate(r) for r in replies],
            )
        )
    call_type = CallType(detail.call_type)
    shown = sees_order_caller(viewer, detail.call_type, detail.assigned_reviewer)
    return s.OrderOut(
        ticket_id=ticket.id,
        number=ticket.number,
        status=status.value,
        status_label=status.label,
        call_type=call_type,
        call_type_label=call_type.label,
        caller_number=ticket.caller_number if shown else mask_phone(ticket.caller_number),
        contact_number=(
            detail.contact_number
            if shown or not detail.contact_number
            else mask_phone(detail.contact_number)
        ),
        question=detail.question,
        location=detail.location,
        target=detail.target,
        forwardable=detail.forwardable,
        confidential=detail.confidential,
        reply_requested=detail.reply_requested,
        simple=detail.simple,
        refer_number=detail.refer_number,
        rules=detail.rules,
        notes=detail.notes,
        tell_caller=detail.tell_caller,
        deadlines={
            stage: s.DeadlineOut(
                due=due,
                seconds_left=int(time_left(due, now).total_seconds()),
                overdue=stage in late,
            )
            for stage, due in deadlines.items().items()
        },
        deadlines_provisional=deadlines.provisional,
        previous_ticket_id=ticket.previous_ticket_id,
        result=detail.result,
        taken_by=detail.taken_by,
        work_orders=work_orders,
        repair_category=detail.repair_category,
        repeat_repair_of=detail.repeat_repair_of,
    )


def _done(session: Session, ticket_id: int, now: datetime, viewer: Viewer) -> s.OrderOut:
    session.commit()
    ticket = orders.get_ticket(session, ticket_id)
    return order_view(session, ticket, orders.get_detail(session, ticket_id), now, viewer)


@router.get(
    "", response_model=list[s.OrderOut], summary="定单列表（举报件不列内容，须逐件查看并留痕）"
)
def list_orders(
    session: SessionDep,
    user: UserDep,
    now: NowDep,
    status: TicketStatus | None = None,
    call_type: CallType | None = None,
    overdue: bool | None = None,
    limit: Limit = 100,
) -> list[s.OrderOut]:
    query = (
        select(Ticket, TicketDetail)
        .join(TicketDetail, TicketDetail.ticket_id == Ticket.id)
        .order_by(Ticket.id.desc())
    )
    if status is not None:
        query = query.where(Ticket.status == status.value)
    if call_type is not None:
        query = query.where(TicketDetail.call_type == call_type.value)
    out: list[s.OrderOut] = []
    for ticket, detail in session.execute(query):
        vis = orders.visibility(session, ticket, detail)
        if not can_read(user, vis):
            continue
        view = order_view(session, ticket, detail, now, user)
        if overdue is not None and any(d.overdue for d in view.deadlines.values()) != overdue:
            continue
        if read_must_be_audited(vis):  # listed sealed; reading it is GET /api/orders/{id}
            view = s.OrderOut.model_validate(seal(view.model_dump()))
        out.append(view)
        if len(out) >= limit:
            break
    return out


@router.get("/{ticket_id}", response_model=s.OrderOut, summary="查看定单（举报件查看留痕）")
def get_order(ticket_id: Id, session: SessionDep, user: UserDep, now: NowDep) -> s.OrderOut:
    try:
        ticket, detail = orders.read_ticket(session, ticket_id, user)
    except orders.ReadRefused as refused:
        orders.keep_refusal(session, refused)
        raise
    session.commit()
    return order_view(session, ticket, detail, now, user)


@router.post("/{ticket_id}/registration", response_model=s.OrderOut, summary="登记来电类型")
def register(
    ticket_id: Id,
    body: s.RegistrationIn,
    session: SessionDep,
    user: UserDep,
    now: NowDep,
    request: Request,
) -> s.OrderOut:
    try:
        orders.register_ticket(
            session,
            ticket_id,
            orders.RegistrationForm(**body.model_dump()),
            user,
            now=now,
            repeat_repair_days=repeat_repair_days(request),
        )
    except orders.ReadRefused as refused:
        orders.keep_refusal(session, refused)
        raise
    done = _done(session, ticket_id, now, user)
    # The call-emergency plan's alerts (if the rules judged it so) reach their consoles; an
    # application mounted without the consoles has no notifier.
    notifier = getattr(request.app.state, "notifier", None)
    if notifier is not None:
        notifier.publish(PlanAlerted(ticket_id))
    return done


@router.post("/{ticket_id}/emergency", response_model=s.OrderOut, summary="紧急求助归档")
def emergency(
    ticket_id: Id, body: s.EmergencyIn, session: SessionDep, user: UserDep, now: NowDep
) -> s.OrderOut:
    orders.archive_emergency(
        session,
        ticket_id,
        user,
        location=body.location,
        contact_number=body.contact_number,
        now=now,
    )
    return _done(session, ticket_id, now, user)


@router.post("/{ticket_id}/repeat", response_model=s.RepeatOut, summary="重复来电：催单或重派")
def repeat(
    ticket_id: Id, body: s.RepeatIn, session: SessionDep, user: UserDep, now: NowDep
) -> s.RepeatOut:
    """A repeat call about an earlier order; refused (403) when that order is a report the user
    may not read, since the new order would carry its question and the reporter's number."""
    try:
        decision = orders.handle_repeat_call(
            session,
            ticket_id,
            user,
            previous_ticket_id=body.previous_ticket_id,
            caller_unhappy=body.caller_unhappy,
            now=now,
        )
    except orders.ReadRefused as refused:
        orders.keep_refusal(session, refused)
        raise
    session.commit()
    detail = session.get(TicketDetail, ticket_id)
    ticket = orders.get_ticket(session, ticket_id)
    view = order_view(session, ticket, detail, now, user) if detail else None
    return s.RepeatOut(
        kind=decision.kind,
        call_type=decision.call_type,
        previous_number=decision.previous_number,
        dispatched=ticket.status == TicketStatus.DISPATCHED,
        notes=list(decision.notes),
        order=view,
    )


@router.post("/{ticket_id}/dispatch", response_model=s.OrderOut, summary="下派工单 / 简易工单")
def dispatch(
    ticket_id: Id, body: s.DispatchIn, session: SessionDep, user: UserDep, now: NowDep
) -> s.OrderOut:
    orders.dispatch(
        session, ticket_id, body.unit_id, user, simple_reason=body.simple_reason, now=now
    )
    return _done(session, ticket_id, now, user)


@router.post("/{ticket_id}/unit-reply", response_model=s.OrderOut, summary="单位反馈")
def unit_reply(
    ticket_id: Id, body: s.UnitReplyIn, session: SessionDep, user: UserDep, now: NowDep
) -> s.OrderOut:
    orders.record_unit_reply(
        session, ticket_id, body.content, user, answered_by=body.answered_by, now=now
    )
    return _done(session, ticket_id, now, user)


@router.post("/{ticket_id}/answer", response_model=s.OrderOut, summary="答复来电人")
def answer(
    ticket_id: Id, body: s.AnswerIn, session: SessionDep, user: UserDep, now: NowDep
) -> s.OrderOut:
    orders.answer_caller(session, ticket_id, body.result, user, now=now)
    return _done(session, ticket_id, now, user)


@router.post("/{ticket_id}/return-visit", response_model=s.OrderOut, summary="回访")
def return_visit(
    ticket_id: Id, body: s.VisitIn, session: SessionDep, user: UserDep, now: NowDep
) -> s.OrderOut:
    orders.return_visit(
        session, ticket_id, body.satisfaction, body.resolved, user, body.comment, now=now
    )
    return _done(session, ticket_id, now, user)


@router.post("/{ticket_id}/archive", response_model=s.OrderOut, summary="归档")
def archive(ticket_id: Id, session: SessionDep, user: UserDep, now: NowDep) -> s.OrderOut:
    orders.archive(session, ticket_id, user, now=now)
    return _done(session, ticket_id, now, user)


@router.post("/{ticket_id}/kb-answer", response_model=s.OrderOut, summary="按知识库答复")
def kb_answer(
    ticket_id: Id, body: s.KbAnswerIn, session: SessionDep, user: UserDep, now: NowDep
) -> s.OrderOut:
    orders.answer_from_kb(session, ticket_id, body.article_id, user, now=now)
    return _done(session, ticket_id, now, user)


@router.post("/{ticket_id}/hand-over", response_model=s.OrderOut, summary="首接责任移交")
def hand_over(
    ticket_id: Id, body: s.HandOverIn, session: SessionDep, user: UserDep, now: NowDep
) -> s.OrderOut:
    orders.hand_over(session, ticket_id, body.to_username, body.note, user)
    return _done(session, ticket_id, now, user)


@router.get(
    "/{ticket_id}/complaint-units", response_model=list[s.UnitOut], summary="投诉承办单位推荐"
)
def complaint_units(
    ticket_id: Id,
    session: SessionDep,
    user: UserDep,
    escalate: bool = False,
    serious: bool = False,
) -> list[Unit]:
    return orders.complaint_units(session, ticket_id, escalate=escalate, serious=serious)
