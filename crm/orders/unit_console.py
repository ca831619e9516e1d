"""成员单位: a member unit's inbox, one of its orders with the chases on it, and its reply.

Thin over ``crm.orders.unit_inbox`` (which orders are the unit's) and the services the API uses:
opening an order is ``read_ticket`` (another unit's order is refused with the one wording,
``NOT_YOUR_UNIT``, and the refusal audited), the reply is ``record_unit_reply``, as
``POST /api/orders/{id}/unit-reply``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from callmodel.fields import Id, OptionalName, Text
from crm.domain.redaction import redact
from crm.http.deps import NowDep, StaffDep, same_origin
from crm.http.errors import API_ERRORS
from crm.notifications import OrderChanged
from crm.orders import services as orders
from crm.orders import unit_inbox
from crm.orders.http import order_view

router = APIRouter(
    prefix="/web/api/unit",
    tags=["web console"],
    dependencies=[Depends(same_origin)],
    responses=API_ERRORS,
)


@router.get("/orders")
def list_orders(
    request: Request, staff: StaffDep, now: NowDep, view: unit_inbox.InboxView = "open"
) -> list[dict[str, Any]]:
    with request.app.state.sessions() as session:
        rows = unit_inbox.inbox(session, staff.viewer, now, view)
    return redact(staff.viewer, rows)


@router.get("/orders/{ticket_id}")
def open_order(ticket_id: Id, request: Request, staff: StaffDep, now: NowDep) -> dict[str, Any]:
    """One of the unit's orders in full (a report's opening audited), with its chases."""
    unit_inbox.own_unit(staff.viewer)
    with request.app.state.sessions() as session:
        try:
            # Refused before anything of the ticket is said (not even that it is unregistered).
            if not orders.may_read(session, orders.get_ticket(session, ticket_id), staff.viewer):
                orders.check_read(session, orders.get_ticket(session, ticket_id), staff.viewer)
            ticket, detail = orders.read_ticket(session, ticket_id, staff.viewer)
        except orders.ReadRefused as refused:
            orders.keep_refusal(session, refused)
            raise
        session.commit()
        data = order_view(session, ticket, detail, now, staff.viewer).model_dump(mode="json")
        data["chases"] = unit_inbox.chases(session, ticket_id)
        awaiting = [w for w in data["work_orders"] if w["unit_id"] == staff.viewer.unit_id]
        data["awaiting_reply"] = bool(awaiting) and awaiting[-1]["replied_at"] is None
    return redact(staff.viewer, data)


class ReplyIn(BaseModel):
    content: Text
    answered_by: OptionalName = None


@router.post("/orders/{ticket_id}/reply")
def reply(
    ticket_id: Id, body: ReplyIn, request: Request, staff: StaffDep, now: NowDep
) -> dict[str, Any]:
    """The unit's feedback (反馈): the order moves on to the hotline, which answers the caller."""
    with request.app.state.sessions() as session:
        orders.record_unit_reply(
            session, ticket_id, body.content, staff.viewer, answered_by=body.answered_by, now=now
        )
        session.commit()
        ticket = orders.get_ticket(session, ticket_id)
        result = {"ticket_id": ticket_id, "status": ticket.status.value}
    request.app.state.notifier.publish(OrderChanged(ticket_id))
    return result
