"""Agent sign-in, sign-out and pause over HTTP.

Anyone signed in (or the hotline's own services with the service token) may list the agents;
moving one in or out of the queues is for that agent on their own extension, or for the floor's
supervisors (``crm.domain.access.may_act_for_agent``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field

from callmodel.fields import Code, Key, OptionalName
from crm.accounts.services import Staff
from crm.agents.services import AgentService
from crm.domain.access import may_act_for_agent
from crm.domain.errors import Forbidden, Unauthenticated
from crm.http.deps import NO_CREDENTIALS, console_or_service, identify
from crm.http.errors import AMI_ERRORS
from crm.models import AgentState

router = APIRouter(
    tags=["agents"], dependencies=[Depends(console_or_service)], responses=AMI_ERRORS
)

NOT_YOUR_EXTENSION = "只能为本人分机签入、签出或示忙；代他人操作须为值班长、热线负责人或系统管理员"


def may_move(
    extension: str,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> None:
    """Only the agent themselves, or a supervisor of the floor, moves an agent in or out of the
    queues; the hotline's own services (service token, no person) act for any agent."""
    who = identify(request, authorization, None)
    if who is None:
        raise Unauthenticated(NO_CREDENTIALS)
    if isinstance(who, Staff) and not may_act_for_agent(who.viewer, who.extension, extension):
        raise Forbidden(NOT_YOUR_EXTENSION)


# (A cookie-authenticated move must also come from our own pages: crm.http.deps.identify.)
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
