"""未接来电回拨 in the agent console: the list of tickets to call back, and the one-click call.

Thin over ``crm.callbacks.services``; the result of each attempt comes back from Asterisk
through the AMI bridge (``CallbackFinished``), not through these routes.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Depends, Request

from callmodel.fields import Id
from crm.agents.console import agent_extension
from crm.agents.services import AgentRequestError
from crm.callbacks import services
from crm.domain.redaction import redact
from crm.http.deps import StaffDep, same_origin
from crm.http.errors import AMI_ERRORS
from crm.text import T

log = logging.getLogger(__name__)

router = APIRouter(
    prefix="/web/api",
    tags=["web console"],
    dependencies=[Depends(same_origin)],
    responses=AMI_ERRORS,
)


@router.get("/callbacks")
def callbacks(request: Request, staff: StaffDep) -> list[dict[str, Any]]:
    """The tickets still to call back (as GET /api/callbacks), each with its attempts so far,
    redacted for the viewer."""
    with request.app.state.sessions() as session:
        rows = services.callback_list(session)
    return redact(staff.viewer, rows)


@router.post("/callbacks/{ticket_id}/call")
async def call_back(ticket_id: Id, request: Request, staff: StaffDep) -> dict[str, Any]:
    """One click: Asterisk rings the agent's phone, then dials the citizen (AMI Originate)."""
    extension = agent_extension(staff)
    state = request.app.state
    if not state.settings.trunk.contact:
        # The agent cannot fix the configuration: the console says who can, the log says what.
        log.warning("call-back refused: trunk.contact is not set in the hotline's settings")
        raise AgentRequestError(T["no_trunk"])

    def start() -> tuple[int, str]:
        with state.sessions() as session:
            return services.start_attempt(
                session, ticket_id, extension, staff.username,
                services.callback_policy(state.settings),
            )  # fmt: skip

    attempt_id, number = await asyncio.to_thread(start)
    try:
        await services.originate(state.agents.ami, ticket_id, attempt_id, extension, number)
    except Exception:
        await asyncio.to_thread(services.record_result, state, attempt_id, "CHANUNAVAIL", None)
        raise
    return {
        "ok": True,
        "ticket_id": ticket_id,
        "attempt_id": attempt_id,
        "message": T["calling_back"],
    }
