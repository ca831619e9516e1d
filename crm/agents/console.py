"""The agent console's API: queue sign-in and pause, registering a popped call.

Queue membership goes through ``AgentService`` (AMI); registration, knowledge-base answers and
dispatch through ``crm.orders.services``. The agent acts only on their own extension.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from callmodel.calltypes import CallType, TicketStatus
from callmodel.fields import (
    Id,
    Key,
    OptionalCode,
    OptionalName,
    OptionalPhone,
    OptionalPlace,
    OptionalServiceNumber,
    OptionalTitle,
    SearchText,
    Text,
)
from crm.accounts.services import Staff
from crm.agents.http import agent_view
from crm.directory.services import special_lines_for
from crm.domain.access import MAY_DISPATCH
from crm.domain.errors import Forbidden, InvalidInput
from crm.domain.moments import iso
from crm.domain.redaction import redact
from crm.domain.required_fields import REQUIRED_FIELDS
from crm.http.deps import StaffDep, same_origin
from crm.http.errors import AMI_ERRORS
from crm.knowledge.services import kb_for
from crm.models.workorders import Unit
from crm.notifications import AgentStateChanged, OrderChanged, PlanAlerted
from crm.orders import services as orders
from crm.orders.services import RegistrationForm
from crm.text import T

router = APIRouter(
    prefix="/web/api",
    tags=["web console"],
    dependencies=[Depends(same_origin)],
    responses=AMI_ERRORS,
)


def agent_extension(staff: Staff) -> str:
    """The agent's own desk extension; an account without one cannot take or make calls."""
    if not staff.extension:
        raise Forbidden(T["no_extension"])
    return staff.extension


def _agent_view(request: Request, staff: Staff) -> dict[str, Any]:
    service = request.app.state.agents
    extension = agent_extension(staff)
    state = next((s for s in service.states() if s.extension == extension), None)
    view = agent_view(service, extension, state)
    view["queue_labels"] = {
        q: service.menu.queues[q].label for q in view["skills"] if q in service.menu.queues
    }
    view["ami"] = service.ami.connected.is_set()
    return view


class SignIn(BaseModel):
    queues: list[Key] | None = Field(None, max_length=32)


@router.get("/agent")
def agent_state(request: Request, staff: StaffDep) -> dict[str, Any]:
    view = _agent_view(request, staff)
    view["required"] = REQUIRED_FIELDS
    return view


@router.get("/agent/call")
async def current_call(request: Request, staff: StaffDep) -> dict[str, Any]:
    """The signed-in agent's current call (ringing, in talk, or in wrap-up and not yet
    registered) with its pop, so a reloaded console or a new tab shows it again; ``pop`` is
    null when the desk has none, and ``call`` then names the desk's last call and its state
    (over, taken, missed), or is null."""
    agent_extension(staff)
    hub = request.app.state.web_hub
    found: dict[str, Any] = await asyncio.to_thread(hub.current_call, staff)
    return found


def _wallboard_changed(request: Request, staff: Staff) -> None:
    request.app.state.notifier.publish(AgentStateChanged(agent_extension(staff)))


@router.post("/agent/sign-in")
async def sign_in(body: SignIn, request: Request, staff: StaffDep) -> dict[str, Any]:
    await request.app.state.agents.login(agent_extension(staff), body.queues)
    _wallboard_changed(request, staff)
    return _agent_view(request, staff)


@router.post("/agent/sign-out")
async def sign_out(request: Request, staff: StaffDep) -> dict[str, Any]:
    await request.app.state.agents.logout(agent_extension(staff))
    _wallboard_changed(request, staff)
    return _agent_view(request, staff)


class PauseIn(BaseModel):
    paused: bool
    reason: OptionalName = None


@router.post("/agent/pause")
async def pause(body: PauseIn, request: Request, staff: StaffDep) -> dict[str, Any]:
    await request.app.state.agents.pause(agent_extension(staff), body.paused, body.reason)
    _wallboard_changed(request, staff)
    return _agent_view(request, staff)


class RegisterIn(BaseModel):
    call_type: CallType
    question: Text
    contact_number: OptionalPhone = None
    caller_name: OptionalName = None
    location: OptionalPlace = None
    target: OptionalTitle = None
    body_unit_id: Id | None = None
    reply_requested: bool = False
    special_line_number: OptionalServiceNumber = None
    # A help request's repair category (路灯, 供水 …): the same repair at the same place soon
    # after its close asks for a leader's visit (crm/domain/repairs.py).
    repair_category: OptionalCode = None
    # register: record only; kb: answer with an article; dispatch: to the unit (shift leaders
    # dispatch themselves; an agent's order goes to the shift leader's dispatch queue).
    action: Literal["register", "kb", "dispatch"] = "register"
    article_id: Id | None = None


def _outcome(action: str, status: TicketStatus, dispatched: str | None) -> str:
    """What became of the registration, in the words the agent reads beside the buttons: an
    agent's 登记并派单 goes to the shift leader's dispatch queue, not to a unit; an order the
    rules close at once says so."""
    if action == "kb" and status is not TicketStatus.REGISTERED:
        return T["outcome_kb"]
    if dispatched:
        return T["outcome_dispatched"].format(unit=dispatched)
    if status is not TicketStatus.REGISTERED:
        return T["outcome_closed"].format(status=status.label)
    if action == "dispatch":
        return T["outcome_to_leader"]
    return T["outcome_registered"]


@router.post("/tickets/{ticket_id}/register")
def register(ticket_id: Id, body: RegisterIn, request: Request, staff: StaffDep) -> dict[str, Any]:
    """Register the popped call through the same service as ``POST /api/orders/{id}/registration``:
    what the form leaves out is the rules' to decide (a 求助 without a contact number becomes a
    意见建议, a 投诉 without a target is recorded as not forwardable), not a refusal here. The
    answer says what the rules did, what to tell the caller and who has the order next."""
    may_dispatch = bool(staff.roles & MAY_DISPATCH)
    if body.action == "dispatch" and may_dispatch and body.body_unit_id is None:
        raise InvalidInput(T["choose_unit"])
    form = RegistrationForm(
        call_type=body.call_type,
        question=body.question,
        contact_number=body.contact_number or None,
        caller_name=body.caller_name or None,
        location=body.location or None,
        target=body.target or None,
        body_unit_id=body.body_unit_id,
        reply_requested=body.reply_requested,
        special_line_number=body.special_line_number or None,
        repair_category=body.repair_category,
    )
    viewer = staff.viewer
    with request.app.state.sessions() as session:
        try:
            detail = orders.register_ticket(session, ticket_id, form, viewer)
        except orders.ReadRefused as refused:
            orders.keep_refusal(session, refused)
            raise
        dispatched: str | None = None
        if body.action == "kb" and body.article_id is not None:
            orders.answer_from_kb(session, ticket_id, body.article_id, viewer)
        elif body.action == "dispatch" and may_dispatch and body.body_unit_id:
            ticket = orders.get_ticket(session, ticket_id)
            if ticket.status == TicketStatus.REGISTERED and detail.forwardable:
                orders.dispatch(session, ticket_id, body.body_unit_id, viewer)
                unit = session.get(Unit, body.body_unit_id)
                dispatched = unit.name if unit else str(body.body_unit_id)
        session.commit()
        ticket = orders.get_ticket(session, ticket_id)
        status = TicketStatus(ticket.status)
        call_type = CallType(detail.call_type)
        deadlines = orders.deadlines_of(detail)
        due = deadlines.reply_due if status is TicketStatus.REGISTERED else None
        result = {
            "ticket_id": ticket.id,
            "number": ticket.number,
            "status": status.value,
            "status_label": status.label,
            "requested_type": body.call_type.value,
            "call_type": call_type.value,
            "call_type_label": call_type.label,
            "retyped": call_type is not body.call_type,
            "forwardable": detail.forwardable,
            "refer_number": detail.refer_number,
            "dispatched": dispatched is not None,
            "outcome": _outcome(body.action, status, dispatched),
            "tell_caller": list(detail.tell_caller),
            "notes": list(detail.notes),
            "reply_due": iso(due),
            "deadlines_provisional": bool(due and deadlines.provisional),
        }
    request.app.state.notifier.publish(OrderChanged(ticket_id))
    request.app.state.notifier.publish(PlanAlerted(ticket_id))
    return redact(viewer, result)


@router.get("/kb")
def kb_search(q: SearchText, request: Request, staff: StaffDep) -> list[dict[str, Any]]:
    with request.app.state.sessions() as session:
        return [{"kind": "kb", **hit} for hit in kb_for(session, q, 8)] + [
            {"kind": "line", **line} for line in special_lines_for(session, q)
        ]


@router.get("/units")
def units(request: Request, staff: StaffDep) -> list[dict[str, Any]]:
    with request.app.state.sessions() as session:
        rows = session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.name))
        return [
            {"id": u.id, "name": u.name, "member": u.is_member, "reports": u.handles_reports}
            for u in rows
        ]
