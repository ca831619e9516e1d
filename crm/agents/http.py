"""Agent sign-in, sign-out and pause over HTTP.

Who may list and move agents at all is the access policy's (crm/http/policy.py); moving one
in or out of the queues is for that agent on their own extension, or for the floor's
supervisors (``crm.domain.access.may_act_for_agent``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from callmodel.fields import Code, Key, OptionalName
from crm.agents.services import AgentService
from crm.domain.access import may_act_for_agent
from crm.domain.errors import Forbidden
from crm.http.deps import StaffDep
from crm.http.errors import AMI_ERRORS
from crm.http.policy import NOT_YOUR_EXTENSION
from crm.models import AgentState

router = APIRouter(tags=["agents"], responses=AMI_ERRORS)


def may_move(extension: str, staff: StaffDep) -> None:
    """Only the agent themselves, or a supervisor of the floor, moves an agent in or out of the
    queues (a personal API token is its user: the same rule)."""
    if not may_act_for_agent(staff.viewer, staff.extension, extension):
        raise Forbidden(NOT_YOUR_EXTENSION)


MOVES = [Depends(may_move)]


class LoginRequest(BaseModel):
    queues: list[Key] | None = Field(None, max_length=32)


class PauseRequest(BaseModel):
    reason: OptionalName = None


def _service(request: Request) -> AgentService:
    service: AgentService = request.app.state.agents
    return service


def agent_view(service: AgentService, extension: str, state: AgentState | None) -> dict[str, Any]:
    """An agent and their place in the queues, as the API and the agent console show it."""
    agent = service.agent(extension)
    return {
        "extension": agent.extension,
        "name": agent.name,
        "skills": agent.skills,
        "queues": list(state.queues) if state else [],
        "signed_in": bool(state and state.queues),
        "paused": bool(state and state.paused),
        "pause_reason": state.pause_reason if state else None,
    }


@router.get("/api/agents")
def list_agents(request: Request) -> list[dict[str, Any]]:
    service = _service(request)
    states = {s.extension: s for s in service.states()}
    return [
        agent_view(service, a.extension, states.get(a.extension)) for a in service.settings.agents
    ]


@router.post("/api/agents/{extension}/login", dependencies=MOVES)
async def login(extension: Code, body: LoginRequest, request: Request) -> dict[str, Any]:
    service = _service(request)
    return agent_view(service, extension, await service.login(extension, body.queues))


@router.post("/api/agents/{extension}/logout", dependencies=MOVES)
async def logout(extension: Code, request: Request) -> dict[str, Any]:
    service = _service(request)
    return agent_view(service, extension, await service.logout(extension))


@router.post("/api/agents/{extension}/pause", dependencies=MOVES)
async def pause(extension: Code, body: PauseRequest, request: Request) -> dict[str, Any]:
    service = _service(request)
    return agent_view(service, extension, await service.pause(extension, True, body.reason))


@router.post("/api/agents/{extension}/ready", dependencies=MOVES)
async def ready(extension: Code, request: Request) -> dict[str, Any]:
    service = _service(request)
    return agent_view(service, extension, await service.pause(extension, False))
