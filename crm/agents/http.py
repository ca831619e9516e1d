"""Agent sign-in, sign-out and pause over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from crm.agents.services import AgentService
from crm.http.deps import console_or_service
from crm.models import AgentState

router = APIRouter(tags=["agents"], dependencies=[Depends(console_or_service)])


class LoginRequest(BaseModel):
    queues: list[str] | None = Field(None, max_length=32)


class PauseRequest(BaseModel):
    reason: str | None = Field(None, max_length=64)


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


@router.post("/api/agents/{extension}/login")
async def login(extension: str, body: LoginRequest, request: Request) -> dict[str, Any]:
    service = _service(request)
    return agent_view(service, extension, await service.login(extension, body.queues))


@router.post("/api/agents/{extension}/logout")
async def logout(extension: str, request: Request) -> dict[str, Any]:
    service = _service(request)
    return agent_view(service, extension, await service.logout(extension))


@router.post("/api/agents/{extension}/pause")
async def pause(extension: str, body: PauseRequest, request: Request) -> dict[str, Any]:
    service = _service(request)
    return agent_view(service, extension, await service.pause(extension, True, body.reason))


@router.post("/api/agents/{extension}/ready")
async def ready(extension: str, request: Request) -> dict[str, Any]:
    service = _service(request)
    return agent_view(service, extension, await service.pause(extension, False))
