"""成员单位: a member unit's own work orders, their deadlines and the chases (催单) on them.

A unit sees the orders dispatched to it and nothing else: the rows come from its own work
orders, and each is shown only if the one read rule (``crm.domain.access.can_read``) lets the
unit read its ticket, so an order re-dispatched elsewhere, or a report sent to a unit that is
not a discipline-inspection or judicial body, never shows. Callers' numbers stay masked
(``crm.domain.redaction``): the payloads go through ``redact`` like every other console's.
Reads only; the unit's reply is ``crm.orders.stages.record_unit_reply``, as for the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmodel.calltypes import CallType
from crm.domain.access import Viewer, can_read
from crm.domain.deadlines import time_left
from crm.domain.errors import Forbidden
from crm.models.calls import Ticket
from crm.models.workorders import TicketDetail, WorkOrder
from crm.orders.http import order_view
from crm.orders.tickets import visibility

NO_UNIT = "您的账号未关联成员单位，请联系系统管理员。"
InboxView = Literal["open", "all"]


def own_unit(viewer: Viewer) -> int:
    """The unit the signed-in member of a unit works for; refused (403) without one."""
    if viewer.unit_id is None:
        raise Forbidden(NO_UNIT)
    return viewer.unit_id


def chase_count(session: Session, ticket_id: int) -> int:
    """How many times callers chased this order (each chase is an invalid ticket that names it)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Ticket)
            .join(TicketDetail, TicketDetail.ticket_id == Ticket.id)
            .where(
                Ticket.previous_ticket_id == ticket_id,
                TicketDetail.call_type == CallType.INVALID.value,
            )
        )
        or 0
    )


def chases(session: Session, ticket_id: int) -> list[dict[str, Any]]:
    """The chases of one order: when the caller rang again, and the note; never the caller."""
    rows = session.execute(
        select(Ticket.created_at, Ticket.number, TicketDetail.question)
        .join(TicketDetail, TicketDetail.ticket_id == Ticket.id)
        .where(
            Ticket.previous_ticket_id == ticket_id,
            TicketDetail.call_type == CallType.INVALID.value,
        )
        .order_by(Ticket.created_at)
    )
    return [{"at": at.isoformat(), "number": number, "note": note} for at, number, note in rows]


def unit_deadline(order: WorkOrder, detail: TicketDetail, now: datetime) -> dict[str, Any]:
    """The deadline the unit works to: its feedback limit, else the order's reply limit."""
    stage, due = (
        ("unit_feedback", order.feedback_due)
        if order.feedback_due is not None
        else ("reply", detail.reply_due)
    )
    if due is None:
        return {"stage": stage, "due": None, "seconds_left": None, "overdue": False}
    left = int(time_left(due, now).total_seconds())
    return {
        "stage": stage,
        "due": due.isoformat(),
        "seconds_left": left,
        "overdue": order.replied_at is None and left < 0,
    }


def inbox(session: Session, viewer: Viewer, now: datetime, view: InboxView) -> list[dict[str, Any]]:
    """The unit's orders, the most urgent first: with ``open`` only those awaiting its reply."""
    unit_id = own_unit(viewer)
    query = (
        select(WorkOrder, Ticket, TicketDetail)
        .join(Ticket, Ticket.id == WorkOrder.ticket_id)
        .join(TicketDetail, TicketDetail.ticket_id == Ticket.id)
        .where(WorkOrder.unit_id == unit_id)
        .order_by(WorkOrder.replied_at.is_not(None), WorkOrder.feedback_due.asc().nulls_last())
        .limit(500)
    )
    if view == "open":
        query = query.where(WorkOrder.replied_at.is_(None))
    out = []
    for order, ticket, detail in session.execute(query):
        if not can_read(viewer, visibility(session, ticket, detail)):
            continue  # re-dispatched to another unit since
        data = order_view(session, ticket, detail, now, viewer).model_dump(mode="json")
        data["work_order"] = {
            "id": order.id,
            "dispatched_at": order.dispatched_at.isoformat(),
            "replied_at": order.replied_at.isoformat() if order.replied_at else None,
            "awaiting_reply": order.replied_at is None,
            **unit_deadline(order, detail, now),
        }
        data["chases"] = chase_count(session, ticket.id)
        out.append(data)
    return out
