"""值班长 / 后台审核 / 热线负责人: the dispatch queue, re-dispatch, overdue orders, simple orders.

Thin over ``crm.orders.services`` (the rules and the audit log) and ``crm.orders.http.order_view``
(the order as the API shows it, deadlines with time left). Reports are listed only for their
readers, sealed (no content) in lists; opening one is the audited read, as in the API.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import select

from callmodel.calltypes import CallType, TicketStatus
from callmodel.fields import Id, OptionalName, OptionalText, Text
from crm.domain.access import can_read, read_must_be_audited
from crm.domain.lifecycle import OPEN_STATUSES
from crm.domain.redaction import redact, seal
from crm.http.deps import StaffDep, same_origin
from crm.http.errors import API_ERRORS
from crm.models import Ticket
from crm.models.workorders import TicketDetail
from crm.notifications import OrderChanged
from crm.orders import services as orders
from crm.orders.http import order_view

router = APIRouter(
    prefix="/web/api/leader",
    tags=["web console"],
    dependencies=[Depends(same_origin)],
    responses=API_ERRORS,
)


@router.get("/orders")
def list_orders(
    request: Request,
    staff: StaffDep,
    view: Literal["dispatch", "overdue", "open", "simple"] = "dispatch",
) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    query = (
        select(Ticket, TicketDetail)
        .join(TicketDetail, TicketDetail.ticket_id == Ticket.id)
        .where(Ticket.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(TicketDetail.reply_due.asc().nulls_last(), Ticket.id)
        .limit(500)
    )
    if view == "dispatch":
        query = query.where(Ticket.status == TicketStatus.REGISTERED.value)
    if view == "simple":
        query = query.where(TicketDetail.simple.is_(True))
    out = []
    with request.app.state.sessions() as session:
        for ticket, detail in session.execute(query):
            vis = orders.visibility(session, ticket, detail)
            if not can_read(staff.viewer, vis):
                continue
            data = order_view(session, ticket, detail, now, staff.viewer).model_dump(mode="json")
            late = any(d["overdue"] for d in data["deadlines"].values())
            if view == "overdue" and not late:
                continue
            if read_must_be_audited(vis):  # listed sealed; opening it is the audited read
                data = seal(data)
            data["is_overdue"] = late
            data["body_unit_id"] = detail.body_unit_id
            data["_confidential"] = vis.call_type is CallType.REPORT
            data["_reviewer"] = vis.assigned_reviewer
            out.append(data)
    return redact(staff.viewer, out)


@router.get("/orders/{ticket_id}")
def open_order(ticket_id: int, request: Request, staff: StaffDep) -> dict[str, Any]:
    """One order in full, as the API shows it: a report only for its readers, and each opening
    of one written to the audit log (refusals too)."""
    with request.app.state.sessions() as session:
        try:
            ticket, detail = orders.read_ticket(session, ticket_id, staff.viewer)
        except orders.ReadRefused as refused:
            orders.keep_refusal(session, refused)
            raise
        session.commit()
        view = order_view(session, ticket, detail, datetime.now(UTC), staff.viewer)
        return redact(staff.viewer, view.model_dump(mode="json"))


class DispatchIn(BaseModel):
    unit_id: Id
    simple_reason: OptionalText = None


@router.post("/orders/{ticket_id}/dispatch")
def dispatch(ticket_id: Id, body: DispatchIn, request: Request, staff: StaffDep) -> dict[str, Any]:
    with request.app.state.sessions() as session:
        order = orders.dispatch(
            session, ticket_id, body.unit_id, staff.viewer, simple_reason=body.simple_reason or None
        )
        session.commit()
        result = {"ticket_id": ticket_id, "work_order": order.id, "kind": order.kind}
    request.app.state.notifier.publish(OrderChanged(ticket_id))
    return result


@router.post("/orders/{ticket_id}/redispatch")
def redispatch(ticket_id: Id, request: Request, staff: StaffDep) -> dict[str, Any]:
    """A new order referencing this one, sent again to the unit with the follow-up notes."""
    with request.app.state.sessions() as session:
        prior = orders.get_ticket(session, ticket_id)
        ticket = orders.create_repeat_ticket(session, prior.id, prior.caller_number)
        decision = orders.handle_repeat_call(
            session, ticket.id, staff.viewer, previous_ticket_id=prior.id, caller_unhappy=True
        )
        session.commit()
        result = {
            "ticket_id": ticket.id,
            "number": ticket.number,
            "status": ticket.status.value,
            "kind": decision.kind,
        }
    request.app.state.notifier.publish(OrderChanged(ticket_id))
    return result


class ReplyIn(BaseModel):
    content: Text
    answered_by: OptionalName = None


@router.post("/orders/{ticket_id}/reply")
def reply(ticket_id: Id, body: ReplyIn, request: Request, staff: StaffDep) -> dict[str, Any]:
    """简易工单: the reviewer records who at the unit answered, and what."""
    with request.app.state.sessions() as session:
        orders.record_unit_reply(
            session, ticket_id, body.content, staff.viewer, answered_by=body.answered_by
        )
        session.commit()
        ticket = orders.get_ticket(session, ticket_id)
        return {"ticket_id": ticket_id, "status": ticket.status.value}
