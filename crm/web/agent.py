"""The agent console's API: queue sign-in and pause, registering a popped call, call-backs.

Queue membership goes through ``AgentService`` (AMI); registration, knowledge-base answers and
dispatch through ``crm.services.orders``. The agent acts only on their own extension.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from crm.agents.http import agent_view
from crm.agents.services import AgentRequestError
from crm.domain.access import Role
from crm.domain.calltypes import CallType
from crm.models import Ticket
from crm.models.workorders import Unit
from crm.services import audit, orders
from crm.services.errors import InvalidInput
from crm.services.orders import RegistrationForm
from crm.web.auth import NotAllowed, Staff, require, same_origin
from crm.web.pop import iso
from crm.web.redact import redact
from crm.web.text import T

router = APIRouter(prefix="/web/api", tags=["web console"], dependencies=[Depends(same_origin)])

# Fields the form requires per call type (hotline-rules.md): the page enforces them, the
# domain's classification enforces them again on the server.
REQUIRED_FIELDS: dict[str, list[str]] = {
    CallType.CONSULTATION.value: ["question"],
    CallType.HELP.value: ["question", "contact_number", "location"],
    CallType.EMERGENCY.value: ["question", "contact_number", "location"],
    CallType.COMPLAINT.value: ["question", "contact_number", "target"],
    CallType.REPORT.value: ["question", "contact_number", "target"],
    CallType.SUGGESTION.value: ["question"],
    CallType.PRAISE.value: ["question"],
    CallType.INVALID.value: ["question"],
}

# Where a call-back runs once the agent's phone answers (dialplans/extensions.conf).
CALLBACK_CONTEXT = "hotline-callback"

AgentOnly = require(Role.AGENT)
AgentOrLeader = require(Role.AGENT, Role.SHIFT_LEADER)

_LABEL = {
    "question": "content",
    "contact_number": "contact",
    "location": "location",
    "target": "target",
}


def _extension(staff: Staff) -> str:
    if not staff.extension:
        raise NotAllowed(T["no_extension"])
    return staff.extension


def _agent_view(request: Request, staff: Staff) -> dict[str, Any]:
    service = request.app.state.agents
    extension = _extension(staff)
    state = next((s for s in service.states() if s.extension == extension), None)
    view = agent_view(service, extension, state)
    view["queue_labels"] = {
        q: service.menu.queues[q].label for q in view["skills"] if q in service.menu.queues
    }
    view["ami"] = service.ami.connected.is_set()
    return view


class SignIn(BaseModel):
    queues: list[str] | None = Field(None, max_length=32)


@router.get("/agent")
def agent_state(request: Request, staff: Staff = AgentOnly) -> dict[str, Any]:
    view = _agent_view(request, staff)
    view["required"] = REQUIRED_FIELDS
    return view


def _wallboard_changed(request: Request) -> None:
    request.app.state.notifier.publish({"kind": "agent_state"})


@router.post("/agent/sign-in")
async def sign_in(body: SignIn, request: Request, staff: Staff = AgentOnly) -> dict[str, Any]:
    await request.app.state.agents.login(_extension(staff), body.queues)
    _wallboard_changed(request)
    return _agent_view(request, staff)


@router.post("/agent/sign-out")
async def sign_out(request: Request, staff: Staff = AgentOnly) -> dict[str, Any]:
    await request.app.state.agents.logout(_extension(staff))
    _wallboard_changed(request)
    return _agent_view(request, staff)


class PauseIn(BaseModel):
    paused: bool
    reason: str | None = Field(None, max_length=64)


@router.post("/agent/pause")
async def pause(body: PauseIn, request: Request, staff: Staff = AgentOnly) -> dict[str, Any]:
    await request.app.state.agents.pause(_extension(staff), body.paused, body.reason)
    _wallboard_changed(request)
    return _agent_view(request, staff)


class RegisterIn(BaseModel):
    call_type: CallType
    question: str = Field(min_length=1, max_length=4000)
    contact_number: str | None = Field(None, max_length=32)
    caller_name: str | None = Field(None, max_length=64)
    location: str | None = Field(None, max_length=256)
    target: str | None = Field(None, max_length=128)
    body_unit_id: int | None = None
    reply_requested: bool = False
    special_line_number: str | None = Field(None, max_length=32)
    # register: record only; kb: answer with an article; dispatch: to the unit (shift leaders
    # dispatch themselves; an agent's order goes to the shift leader's dispatch queue).
    action: Literal["register", "kb", "dispatch"] = "register"
    article_id: int | None = None


def _missing(body: RegisterIn) -> list[str]:
    data = body.model_dump()
    return [f for f in REQUIRED_FIELDS[body.call_type.value] if not (data.get(f) or "").strip()]


@router.post("/tickets/{ticket_id}/register")
def register(
    ticket_id: int, body: RegisterIn, request: Request, staff: Staff = AgentOrLeader
) -> dict[str, Any]:
    missing = _missing(body)
    if missing:
        raise InvalidInput(
            f"{T['required']}：{', '.join(T.get(_LABEL.get(f, f), f) for f in missing)}"
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
        detail = orders.register_ticket(session, ticket_id, form, viewer)
        dispatched = False
        if body.action == "kb" and body.article_id is not None:
            orders.answer_from_kb(session, ticket_id, body.article_id, viewer)
        elif body.action == "dispatch" and staff.has(Role.SHIFT_LEADER) and body.body_unit_id:
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
            "notes": detail.notes,
        }
    request.app.state.notifier.publish({"kind": "order_changed", "ticket": result["number"]})
    return result


@router.get("/kb")
def kb_search(q: str, request: Request, staff: Staff = require(*Role)) -> list[dict[str, Any]]:
    from crm.web.pop import kb_for, special_lines_for

    with request.app.state.sessions() as session:
        return [{"kind": "kb", **hit} for hit in kb_for(session, q, 8)] + [
            {"kind": "line", **line} for line in special_lines_for(session, q)
        ]


@router.get("/units")
def units(request: Request, staff: Staff = require(*Role)) -> list[dict[str, Any]]:
    with request.app.state.sessions() as session:
        rows = session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.name))
        return [{"id": u.id, "name": u.name, "member": u.is_member} for u in rows]


@router.get("/callbacks")
def callbacks(
    request: Request,
    staff: Staff = require(Role.AGENT, Role.SHIFT_LEADER, Role.SUPERVISOR, Role.HOTLINE_LEADER),
) -> list[dict[str, Any]]:
    """未接来电回拨: the same list as GET /api/callbacks, redacted for the viewer."""
    with request.app.state.sessions() as session:
        query = (
            select(Ticket)
            .where(Ticket.callback_needed.is_(True), Ticket.callback_done_at.is_(None))
            .order_by(Ticket.created_at)
            .limit(200)
        )
        rows = [
            {
                "ticket_id": t.id,
                "number": t.number,
                "caller_number": t.caller_number,
                "created_at": iso(t.created_at),
                "outcome": t.call.outcome if t.call else None,
                "ivr_choice": t.call.ivr_choice if t.call else None,
            }
            for t in session.scalars(query)
        ]
    return redact(staff.viewer, rows)


@router.post("/callbacks/{ticket_id}/call")
async def call_back(ticket_id: int, request: Request, staff: Staff = AgentOnly) -> dict[str, Any]:
    """One click: Asterisk rings the agent's phone, then dials the citizen (AMI Originate)."""
    extension = _extension(staff)

    def load() -> str:
        with request.app.state.sessions() as session:
            ticket = orders.get_ticket(session, ticket_id)
            audit.record(
                session, staff.username, "call_back", "ticket", ticket.id, extension=extension
            )
            session.commit()
            return ticket.caller_number

    settings = request.app.state.settings
    if not settings.trunk.contact:
        raise AgentRequestError("未配置外线中继（trunk.contact），无法回拨")
    number = await asyncio.to_thread(load)
    if not number.isdigit():
        raise AgentRequestError("号码不正确，无法回拨")
    await request.app.state.agents.ami.action(
        {
            "Action": "Originate",
            "Channel": f"PJSIP/{extension}",
            "Context": CALLBACK_CONTEXT,
            "Exten": number,
            "Priority": "1",
            "CallerID": f"回拨 <{number}>",
            "Async": "true",
            "Variable": f"HOTLINE_CALLBACK_TICKET={ticket_id}",
        }
    )

    def done() -> None:
        with request.app.state.sessions() as session:
            ticket = orders.get_ticket(session, ticket_id)
            ticket.callback_done_at = datetime.now(UTC)
            session.commit()

    await asyncio.to_thread(done)
    return {"ok": True, "ticket_id": ticket_id, "message": T["calling_back"]}
