"""回访: the orders whose caller is owed an answer or a return visit, and what the visit found.

The lifecycle's last steps (docs/hotline-rules.md): the unit replied → the hotline answers the
caller → return visit → archive. A visitor records one of the three levels a 12345 hotline asks
(满意 / 基本满意 / 不满意); each is stored as the return visit's 1..5 satisfaction, the one
source of 满意度 (crm/reports/ledger.py counts 4 and 5 as satisfied), so the console and the
API (``POST /api/orders/{id}/return-visit``) feed the same figure. A caller who could not be
reached leaves the order waiting, with the attempt on record. A caller not satisfied gets a new
order referencing this one, re-dispatched to the same unit (Help request 求助: "the caller is
unhappy with the result"), as the 值班长's 重新派单 does.

Reports are never queued here: the discipline-inspection or judicial body replies to the
reporter directly and the hotline only records follow-up, so a reporter's number never reaches
a visitor. None commits: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmodel.calltypes import CallType, TicketStatus
from crm import audit
from crm.domain.access import MAY_REGISTER, Role, Viewer, can_read
from crm.domain.errors import RuleViolation
from crm.models.calls import Ticket
from crm.models.workorders import AuditEntry, TicketDetail, UnitReply, WorkOrder
from crm.orders.http import order_view
from crm.orders.repeat_calls import create_repeat_ticket, handle_repeat_call
from crm.orders.stages import answer_caller, archive, return_visit
from crm.orders.tickets import get_detail, get_ticket, raise_alert, visibility

QueueView = Literal["answer", "visit"]
# Which status each queue holds: the unit replied (answer the caller), the caller was answered
# (return visit).
QUEUE_STATUS = {"answer": TicketStatus.REPLIED, "visit": TicketStatus.CALLER_ANSWERED}
UNREACHED = "return_visit_unreached"
NOT_QUEUED = "举报件由纪检监察或司法部门直接答复举报人，不在回访中办理。"


class Level(StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    NOT_SATISFIED = "not_satisfied"  # 不满意

    @property
    def score(self) -> int:
        return LEVEL_SCORES[self]


LEVEL_SCORES = {Level.SATISFIED: 5, Level.BASICALLY_SATISFIED: 4, Level.NOT_SATISFIED: 1}


@dataclass(frozen=True)
class VisitResult:
    """What recording a visit did: the order's status, and the new order if it was reopened
    (``reopened_number``), or that it waits for the 值班长 (``left_to_leader``)."""

    status: TicketStatus
    reached: bool
    reopened_id: int | None = None
    reopened_number: str | None = None
    left_to_leader: bool = False


def unreached_count(session: Session, ticket_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.action == UNREACHED,
                AuditEntry.entity == "ticket",
                AuditEntry.entity_id == str(ticket_id),
            )
        )
        or 0
    )


def latest_reply(session: Session, ticket_id: int) -> str | None:
    """The unit's last reply, which the visitor passes on to the caller."""
    return session.scalar(
        select(UnitReply.content)
        .join(WorkOrder, WorkOrder.id == UnitReply.work_order_id)
        .where(WorkOrder.ticket_id == ticket_id)
        .order_by(UnitReply.id.desc())
        .limit(1)
    )


def queue(session: Session, viewer: Viewer, now: datetime, view: QueueView) -> list[dict[str, Any]]:
    """The orders waiting in one queue, oldest reply limit first; never a report."""
    query = (
        select(Ticket, TicketDetail)
        .join(TicketDetail, TicketDetail.ticket_id == Ticket.id)
        .where(
            Ticket.status == QUEUE_STATUS[view].value,
            TicketDetail.call_type != CallType.REPORT.value,
        )
        .order_by(TicketDetail.reply_due.asc().nulls_last(), Ticket.id)
        .limit(500)
    )
    out = []
    for ticket, detail in session.execute(query):
        if not can_read(viewer, visibility(session, ticket, detail)):
            continue
        data = order_view(session, ticket, detail, now, viewer).model_dump(mode="json")
        data["unit_reply"] = latest_reply(session, ticket.id)
        data["unreached"] = unreached_count(session, ticket.id)
        out.append(data)
    return out


def _refuse_report(detail: TicketDetail) -> None:
    if detail.call_type == CallType.REPORT.value:
        raise RuleViolation("report_visit", NOT_QUEUED)


def answer(
    session: Session, ticket_id: int, result: str, actor: Viewer, now: datetime | None = None
) -> Ticket:
    """The caller is told the unit's reply (``crm.orders.stages.answer_caller``)."""
    _refuse_report(get_detail(session, ticket_id))
    return answer_caller(session, ticket_id, result, actor, now=now)


def record(
    session: Session,
    ticket_id: int,
    actor: Viewer,
    *,
    reached: bool,
    level: Level | None,
    resolved: bool,
    comment: str | None = None,
    now: datetime | None = None,
) -> VisitResult:
    """One return visit. Reached: the level is stored, the order archived, and a caller not
    satisfied gets a new order re-dispatched (by the visitor if they may register calls, else
    the 值班长 is alerted to re-dispatch it). Not reached: the order keeps waiting."""
    ticket = get_ticket(session, ticket_id)
    detail = get_detail(session, ticket_id)
    _refuse_report(detail)
    if not reached:
        if ticket.status != TicketStatus.CALLER_ANSWERED:
            raise RuleViolation(
                "lifecycle", f"定单状态为“{TicketStatus(ticket.status).label}”，不能回访。"
            )
        audit.record(session, actor.username, UNREACHED, "ticket", ticket.id, comment=comment)
        return VisitResult(TicketStatus(ticket.status), reached=False)
    if level is None:
        raise RuleViolation("return_visit", "请选择来电人的满意程度。")
    return_visit(session, ticket_id, level.score, resolved, actor, comment, now=now)
    archive(session, ticket_id, actor, now=now)
    if level is not Level.NOT_SATISFIED:
        return VisitResult(TicketStatus(ticket.status), reached=True)
    if not actor.roles & MAY_REGISTER:
        raise_alert(
            session,
            ticket,
            "visit_not_satisfied",
            Role.SHIFT_LEADER.value,
            f"定单{ticket.number}回访不满意，请值班长重新派单。",
        )
        return VisitResult(TicketStatus(ticket.status), reached=True, left_to_leader=True)
    again = create_repeat_ticket(session, ticket.id, ticket.caller_number, now=now)
    handle_repeat_call(
        session, again.id, actor, previous_ticket_id=ticket.id, caller_unhappy=True, now=now
    )
    return VisitResult(
        TicketStatus(ticket.status),
        reached=True,
        reopened_id=again.id,
        reopened_number=again.number,
    )
