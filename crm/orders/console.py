"""值班长 / 后台审核 / 热线负责人: the dispatch queue, re-dispatch, overdue orders, simple orders.

Thin over ``crm.orders.services`` (the rules and the audit log) and ``crm.orders.http.order_view``
(the order as the API shows it, deadlines with time left). Reports are listed only for their
readers, sealed (no content) in lists; opening one is the audited read, as in the API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import select

from callmodel.calltypes import CallType, TicketStatus
from callmodel.fields import Id, OptionalKey, OptionalName, OptionalText, SearchText, Text
from crm import audit
from crm.domain import messages as msg
from crm.domain.access import can_read, read_must_be_audited
from crm.domain.lifecycle import OPEN_STATUSES
from crm.domain.redaction import redact, seal
from crm.http.deps import StaffDep, same_origin
from crm.http.errors import API_ERRORS
from crm.models import Ticket, Unit
from crm.models.workorders import TicketDetail
from crm.notifications import OrderChanged
from crm.orders import services as orders
from crm.orders.http import order_view
from crm.orders.overdue import STAGE_LABELS

router = APIRouter(
    prefix="/web/api/leader",
    tags=["web console"],
    dependencies=[Depends(same_origin)],
    responses=API_ERRORS,
)


View = Literal["dispatch", "overdue", "open", "simple"]
VIEWS: tuple[str, ...] = ("dispatch", "overdue", "open", "simple")
# Above this many open orders the queue shows the most urgent first and says it is cut.
MOST_ROWS = 2000


def _late(data: dict[str, Any]) -> tuple[int, str | None]:
    """How long the most overdue stage is late (seconds, 0 if none) and which stage it is."""
    late = [(-d["seconds_left"], stage) for stage, d in data["deadlines"].items() if d["overdue"]]
    if not late:
        return 0, None
    seconds, stage = max(late)
    return seconds, stage


def _rows(request: Request, staff: Any, limit: int) -> list[dict[str, Any]]:
    """Every open order the viewer may read, as the queue lists it: reports sealed (opening one
    is the audited read), not yet redacted (``redact`` runs last, on the page shown)."""
    now = datetime.now(UTC)
    query = (
        select(Ticket, TicketDetail)
        .join(TicketDetail, TicketDetail.ticket_id == Ticket.id)
        .where(Ticket.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(TicketDetail.reply_due.asc().nulls_last(), Ticket.id)
        .limit(limit)
    )
    out = []
    with request.app.state.sessions() as session:
        for ticket, detail in session.execute(query):
            vis = orders.visibility(session, ticket, detail)
            if not can_read(staff.viewer, vis):
                continue
            data = order_view(session, ticket, detail, now, staff.viewer).model_dump(mode="json")
            if read_must_be_audited(vis):  # listed sealed; opening it is the audited read
                data = seal(data)
            late_seconds, late_stage = _late(data)
            data["is_overdue"] = late_seconds > 0
            data["late_seconds"] = late_seconds
            data["late_stage"] = late_stage
            data["late_stage_label"] = STAGE_LABELS.get(late_stage or "", late_stage)
            data["body_unit_id"] = detail.body_unit_id
            data["created_at"] = ticket.created_at.isoformat() if ticket.created_at else None
            last = data["work_orders"][-1] if data["work_orders"] else None
            if last:
                data["unit_name"] = last["unit_name"]
            else:  # not yet dispatched: the unit the agent proposed, if any
                body = session.get(Unit, detail.body_unit_id) if detail.body_unit_id else None
                data["unit_name"] = body.name if body else None
            data["_confidential"] = vis.call_type is CallType.REPORT
            data["_reviewer"] = vis.assigned_reviewer
            out.append(data)
    return out


def _in_view(row: dict[str, Any], view: str) -> bool:
    if view == "dispatch":
        return bool(row["status"] == TicketStatus.REGISTERED.value)
    if view == "simple":
        return bool(row["simple"])
    if view == "overdue":
        return bool(row["is_overdue"])
    return True


@router.get("/orders")
def list_orders(request: Request, staff: StaffDep, view: View = "dispatch") -> list[dict[str, Any]]:
    rows = [r for r in _rows(request, staff, 500) if _in_view(r, view)]
    return redact(staff.viewer, rows)


def _matches(row: dict[str, Any], q: str) -> bool:
    """A search sees what the list shows: a sealed report matches on its order number only, so
    a search can never tell what a report says (or who made it) to someone who has not opened
    it, and an opened one is still found only by number."""
    needle = q.casefold()
    if row["number"].casefold().find(needle) >= 0:
        return True
    if row.get("_confidential"):
        return False
    fields = [row.get("caller_number"), row.get("contact_number"), row.get("question")]
    fields += [row.get("location"), row.get("target"), row.get("unit_name")]
    return any(needle in str(f).casefold() for f in fields if f)


# The table's sort keys: the most overdue first, then the nearest deadline.
SORTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "due": lambda r: (
        -r["late_seconds"],
        min((d["seconds_left"] for d in r["deadlines"].values()), default=1 << 40),
    ),
    "number": lambda r: r["number"],
    "created": lambda r: r["created_at"] or "",
    "type": lambda r: r["call_type"],
    "status": lambda r: r["status"],
    "unit": lambda r: r["unit_name"] or "",
}


@router.get("/table")
def order_table(
    request: Request,
    staff: StaffDep,
    view: View = "open",
    status: OptionalKey = None,
    call_type: OptionalKey = None,
    unit_id: Annotated[int | None, Query(ge=1)] = None,
    overdue: bool | None = None,
    q: Annotated[SearchText | None, Query()] = None,
    sort: Literal["due", "number", "created", "type", "status", "unit"] = "due",
    desc: bool = False,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    size: Annotated[int, Query(ge=5, le=200)] = 25,
) -> dict[str, Any]:
    """The shift leader's queue of a whole city: filtered, searched, sorted and cut into pages
    here, after the access rules (who may read which order, reports sealed), so the counts and
    the search never include what the viewer may not see."""
    rows = _rows(request, staff, MOST_ROWS)
    counts = {v: sum(1 for r in rows if _in_view(r, v)) for v in VIEWS}
    shown = [r for r in rows if _in_view(r, view)]
    if status:
        shown = [r for r in shown if r["status"] == status]
    if call_type:
        shown = [r for r in shown if r["call_type"] == call_type]
    if unit_id is not None:
        shown = [
            r
            for r in shown
            if r["body_unit_id"] == unit_id
            or any(w["unit_id"] == unit_id for w in r["work_orders"])
        ]
    if overdue is not None:
        shown = [r for r in shown if r["is_overdue"] == overdue]
    if q and q.strip():
        shown = [r for r in shown if _matches(r, q.strip())]
    shown.sort(key=SORTS[sort], reverse=desc)
    total = len(shown)
    pages = max(1, -(-total // size))
    page = min(page, pages)
    cut = shown[(page - 1) * size : page * size]
    return {
        "rows": redact(staff.viewer, cut),
        "total": total,
        "page": page,
        "pages": pages,
        "size": size,
        "counts": counts,
        "truncated": len(rows) >= MOST_ROWS,
    }


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
    """The answer names what was made (the work order, its unit, its deadline) so the shift
    leader sees by the button that the order left, and for where."""
    with request.app.state.sessions() as session:
        order = orders.dispatch(
            session, ticket_id, body.unit_id, staff.viewer, simple_reason=body.simple_reason or None
        )
        session.commit()
        ticket = orders.get_ticket(session, ticket_id)
        unit = session.get(Unit, order.unit_id)
        result = {
            "ticket_id": ticket_id,
            "number": ticket.number,
            "work_order": order.id,
            "kind": order.kind,
            "unit_name": unit.name if unit else "",
            "feedback_due": order.feedback_due.isoformat() if order.feedback_due else None,
        }
    request.app.state.notifier.publish(OrderChanged(ticket_id))
    return result


class RedispatchIn(BaseModel):
    reason: Text


@router.post("/orders/{ticket_id}/redispatch")
def redispatch(
    ticket_id: Id, body: RedispatchIn, request: Request, staff: StaffDep
) -> dict[str, Any]:
    """A new order referencing this one, sent again to the unit with the follow-up notes; the
    shift leader's reason goes on the new order and in the audit log (who sent it again, why)."""
    with request.app.state.sessions() as session:
        prior = orders.get_ticket(session, ticket_id)
        ticket = orders.create_repeat_ticket(session, prior.id, prior.caller_number)
        decision = orders.handle_repeat_call(
            session, ticket.id, staff.viewer, previous_ticket_id=prior.id, caller_unhappy=True
        )
        detail = session.get(TicketDetail, ticket.id)
        if detail is not None:
            detail.notes = [*detail.notes, msg.REDISPATCH_REASON.format(reason=body.reason)]
        audit.record(
            session, staff.viewer.username, "redispatch", "ticket", ticket.id,
            of=prior.number, reason=body.reason,
        )  # fmt: skip
        session.commit()
        result = {
            "ticket_id": ticket.id,
            "number": ticket.number,
            "previous_number": prior.number,
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
