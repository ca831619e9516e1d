"""The agent console's API: queue sign-in and pause, registering a popped call.

Queue membership goes through ``AgentService`` (AMI); registration, knowledge-base answers and
dispatch through ``crm.orders.services``. The agent acts only on their own extension.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from callmodel.calltypes import CallType
from callmodel.fields import (
    Id,
    Key,
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
from crm.domain.required_fields import FIELD_LABELS, REQUIRED_FIELDS, missing_fields
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
    # register: record only; kb: answer with an article; dispatch: to the unit (shift leaders
    # dispatch themselves; an agent's order goes to the shift leader's dispatch queue).
    action: Literal["register", "kb", "dispatch"] = "register"
    article_id: Id | None = None


@router.post("/tickets/{ticket_id}/register")
def register(ticket_id: Id, body: RegisterIn, request: Request, staff: StaffDep) -> dict[str, Any]:
    missing = missing_fields(body.call_type, body.model_dump())
    if missing:
        raise InvalidInput(
            f"{T['required']}：{', '.join(T.get(FIELD_LABELS.get(f, f), f) for f in missing)}"
        )
    if body.action == "dispatch" and body.body_unit_id is None:
        raise InvalidInput(f"{T['required']}：{T['body_unit']}")
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
    )
    viewer = staff.viewer
    with request.app.state.sessions() as session:
        try:
            detail = orders.register_ticket(session, ticket_id, form, viewer)
        except orders.ReadRefused as refused:
            orders.keep_refusal(session, refused)
            raise
        dispatched = False
        if body.action == "kb" and body.article_id is not None:
            orders.answer_from_kb(session, ticket_id, body.article_id, viewer)
        elif body.action == "dispatch" and staff.roles & MAY_DISPATCH and body.body_unit_id:
            ticket = orders.get_ticket(session, ticket_id)
            if ticket.status == "registered":
                orders.dispatch(session, ticket_id, body.body_unit_id, viewer)
                dispatched = True
        session.commit()
        ticket = orders.get_ticket(session, ticket_id)
        result = {
            "ticket_id": ticket.id,
            "number": ticket.number,
            "status": ticket.status.value,
            "call_type": detail.call_type,
            "dispatched": dispatched,
            "tell_caller": detail.tell_caller,
            # Counted on a year without a published schedule: the date told is 预计.
            "deadlines_provisional": detail.deadlines_provisional,
            "notes": detail.notes,
        }
    request.app.state.notifier.publish(OrderChanged(ticket_id))
    request.app.state.notifier.publish(PlanAlerted(ticket_id))
    return result


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
