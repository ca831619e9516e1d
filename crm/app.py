"""The CRM web application: tickets, agents and the AMI bridge in one process.

``create_app`` wires settings, database, the AMI bridge and the routers; ``python -m crm`` serves
it (``hotline start`` does). Errors are JSON with a message a person can act on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from crm import db
from crm.agents import http as agents_http
from crm.agents.services import AgentNotFound, AgentRequestError, AgentService
from crm.api import include_work_order_api
from crm.bridge.ami import AmiBridge, AmiError
from crm.calls import http as calls_http
from crm.calls.events import CallEvent
from crm.calls.services import apply_event
from crm.models import Ticket
from crm.notifier import Notifier
from crm.services.overdue import OverdueEvent, OverdueScheduler
from crm.transcription import job_queue, queue_call_transcription
from crm.web import include_web
from hotline.settings import Settings, load_settings
from ivr.menu import load_menu

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, connect_ami: bool = True) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(db.upgrade, settings.db_url)
        if connect_ami:
            app.state.agents.ami.on_connect.append(app.state.agents.resync)
            await app.state.agents.ami.start()
        overdue.start()
        yield
        await overdue.stop()
        await app.state.agents.ami.stop()

    app = FastAPI(title="12345 热线工单系统", version="0.1.0", lifespan=lifespan)
    engine = db.make_engine(settings.db_url)
    sessions = db.make_sessionmaker(engine)
    notifier = Notifier()

    transcriptions = job_queue(sessions, settings)

    async def apply(event: CallEvent) -> Ticket:
        ticket = await asyncio.to_thread(apply_event, sessions, event)
        notifier.publish({"kind": event.kind, "uniqueid": event.uniqueid, "ticket": ticket.number})
        if event.kind == "call_ended":  # both producers report the end, with the recording
            await asyncio.to_thread(
                queue_call_transcription, sessions, transcriptions, settings, event.uniqueid
            )
        return ticket

    def overdue_found(event: OverdueEvent) -> None:
        due = event.due.isoformat() if event.due else None
        notifier.publish(
            {"kind": "overdue", "ticket": event.number, "stage": event.stage, "due": due}
        )

    overdue = OverdueScheduler(sessions, on_event=overdue_found)

    app.state.settings = settings
    # The hotline's own services authenticate to the API with this token (see crm.api.deps).
    app.state.service_token = settings.crm_ingest_token
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.notifier = notifier
    app.state.apply = apply
    app.state.transcriptions = transcriptions
    app.state.agents = AgentService(
        settings, load_menu(settings.ivr_menu_file), sessions, AmiBridge(settings, apply)
    )

    app.include_router(calls_http.router)
    app.include_router(agents_http.router)
    _install_error_handlers(app)
    include_work_order_api(app)  # also installs the 422 handler for invalid requests
    include_web(app)

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        return {"ok": True, "ami": app.state.agents.ami.connected.is_set()}

    return app


def _error(status: int, message: str, request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message, "path": request.url.path})


def _install_error_handlers(app: FastAPI) -> None:
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), request, exc)

    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    for exc_type, status in ((AgentNotFound, 404), (AgentRequestError, 400), (AmiError, 503)):
        app.add_exception_handler(exc_type, partial(_typed_error, status))  # type: ignore[arg-type]


async def _typed_error(status: int, request: Request, exc: Exception) -> JSONResponse:
    return _error(status, str(exc), request, exc)
