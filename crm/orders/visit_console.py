"""回访: the queues of orders whose caller is owed an answer or a return visit, and the visit.

Thin over ``crm.orders.visits``, which records through the services the API uses
(``answer_caller``, ``return_visit``, ``archive``, re-dispatch), so 满意度 has one source.
The citizen is called back with the 话务台's own call-back route
(``POST /web/api/callbacks/{ticket_id}/call``, crm/callbacks/), not from here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from callmodel.fields import Id, OptionalText, Text
from crm.domain.redaction import redact
from crm.http.deps import NowDep, StaffDep, same_origin
from crm.http.errors import API_ERRORS
from crm.notifications import OrderChanged
from crm.orders import visits

router = APIRouter(
    prefix="/web/api/visits",
    tags=["web console"],
    dependencies=[Depends(same_origin)],
    responses=API_ERRORS,
)


@router.get("")
def list_queue(
    request: Request, staff: StaffDep, now: NowDep, view: visits.QueueView = "visit"
) -> list[dict[str, Any]]:
    with request.app.state.sessions() as session:
        rows = visits.queue(session, staff.viewer, now, view)
    return redact(staff.viewer, rows)


class AnswerIn(BaseModel):
    result: Text


@router.post("/{ticket_id}/answer")
def answer(
    ticket_id: Id, body: AnswerIn, request: Request, staff: StaffDep, now: NowDep
) -> dict[str, Any]:
    """答复来电人: the caller was told the unit's reply; the order waits for its return visit."""
    with request.app.state.sessions() as session:
        ticket = visits.answer(session, ticket_id, body.result, staff.viewer, now=now)
        session.commit()
        result = {"ticket_id": ticket_id, "status": ticket.status.value}
    request.app.state.notifier.publish(OrderChanged(ticket_id))
    return result


class VisitIn(BaseModel):
    reached: bool
    level: visits.Level | None = None
    resolved: bool = True
    comment: OptionalText = None


@router.post("/{ticket_id}/visit")
def visit(
    ticket_id: Id, body: VisitIn, request: Request, staff: StaffDep, now: NowDep
) -> dict[str, Any]:
    with request.app.state.sessions() as session:
        done = visits.record(
            session,
            ticket_id,
            staff.viewer,
            reached=body.reached,
            level=body.level,
            resolved=body.resolved,
            comment=body.comment,
            now=now,
        )
        session.commit()
    request.app.state.notifier.publish(OrderChanged(ticket_id))
    return {
        "ticket_id": ticket_id,
        "status": done.status.value,
        "reached": done.reached,
        "reopened_id": done.reopened_id,
        "reopened_number": done.reopened_number,
        "left_to_leader": done.left_to_leader,
    }
