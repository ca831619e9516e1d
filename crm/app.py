"""The CRM web application: tickets, agents and the AMI bridge in one process.

``create_app`` wires settings, database, the AMI bridge and the routers; ``python -m crm`` serves
it (``hotline start`` does). Errors are JSON with a message a person can act on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from callmodel.events import CallbackFinished, CallEvent, CallRouted
from crm import db
from crm.accounts import http as accounts_http
from crm.agents import console as agents_console
from crm.agents import http as agents_http
from crm.agents.services import AgentService
from crm.bridge.ami import AmiBridge
from crm.bridge.translate import AmiEvent
from crm.callbacks import http as callbacks_http
from crm.callbacks.services import record_result
from crm.calls import http as calls_http
from crm.calls import recordings
from crm.calls.services import apply_event
from crm.dialplan_editor import http as dialplan_editor_http
from crm.directory import http as directory_http
from crm.domain.emergency_plan import default_plan
from crm.emergency import http as emergency_http
from crm.http.deps import authorize
from crm.http.errors import install_error_handler
from crm.http.headers import SecurityHeaders
from crm.http.policy import unlisted
from crm.knowledge import http as knowledge_http
from crm.metrics import CrmMetrics
from crm.models import Ticket
from crm.notifications import CallApplied, CallbackRecorded, CallObserved, PlanAlerted
from crm.notifier import Notifier
from crm.orders import console as orders_console
from crm.orders import http as orders_http
from crm.orders import schedule, unit_console, visit_console
from crm.orders.overdue import OverdueScheduler, notifier_sink
from crm.reports import http as reports_http
from crm.transcription import job_queue, queue_call_transcription
from crm.web import include_web
from hotline.observability import health_response
from hotline.settings import Settings, load_settings
from ivr.menu import load_menu

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, connect_ami: bool = True) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        missing = unlisted(app)
        if missing:  # they would answer 403 to everyone: say so before serving anything
            raise RuntimeError(f"routes missing from crm/http/policy.py: {sorted(missing)}")
        # The call-emergency plan is checked now: a broken site file must stop the start,
        # not leave an emergency alerting nobody.
        default_plan()
        await asyncio.to_thread(db.upgrade, settings.db_url)
        # The site's holiday schedule, which may have changed while the CRM was down: open
        # orders are counted on the one in force (crm/orders/schedule.py).
        await asyncio.to_thread(schedule.load_at_start, settings)
        await asyncio.to_thread(recount_at_start)
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

    def recount_at_start() -> None:
        with sessions() as session:
            schedule.recount_open_orders(session, "system")
            session.commit()

    async def apply(event: CallEvent) -> Ticket:
        ticket = await asyncio.to_thread(apply_event, sessions, event)
        metrics.events_applied.labels(event.kind).inc()
        notifier.publish(CallApplied(event, ticket.number))
        if isinstance(event, CallRouted) and event.route == "emergency":
            notifier.publish(PlanAlerted(ticket.id))
        if event.kind == "call_ended":  # both producers report the end, with the recording
            await asyncio.to_thread(
                queue_call_transcription, sessions, transcriptions, settings, event.uniqueid
            )
        return ticket

    async def from_asterisk(event: AmiEvent) -> None:
        """The bridge's sink: call events are applied like the FastAGI server's; a call-back's
        result is stored once (a repeated event changes nothing)."""
        if not isinstance(event, CallbackFinished):
            await apply(event)
            return
        stored = await asyncio.to_thread(
            record_result, app.state, event.attempt, event.status, event.talk_seconds,
            event.recording, channel=event.channel, from_dialplan=event.from_dialplan,
        )  # fmt: skip
        if stored:
            notifier.publish(CallbackRecorded(event.attempt))

    overdue = OverdueScheduler(sessions, on_event=notifier_sink(notifier))
    ami = AmiBridge(settings, from_asterisk)
    ami.observers.append(lambda event, at: notifier.publish(CallObserved(event, at)))
    metrics = CrmMetrics(sessions, ami)

    app.state.settings = settings
    # The FastAGI server posts call events with this token (crm/http/policy.py: nothing else).
    app.state.service_token = settings.crm_ingest_token
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.notifier = notifier
    app.state.apply = apply
    app.state.transcriptions = transcriptions
    app.state.agents = AgentService(settings, load_menu(settings.ivr_menu_file), sessions, ami)

    include_api(app)
    include_web(app)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        """Up, with its dependencies: the database (503 without it) and the AMI link."""
        try:
            with sessions() as session:
                session.execute(text("SELECT 1"))
            database = True
        except SQLAlchemyError:
            database = False
        status, body = health_response(
            {"database": database, "ami": app.state.agents.ami.connected.is_set()},
            required=("database",),
        )
        return JSONResponse(body, status_code=status)

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        """Prometheus' text format: aggregate figures only, no caller's data."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


# Every capability's routes: the REST API under /api and the consoles' routes under /web/api,
# both over the same services and the same dependencies (crm.http.deps).
ROUTERS: list[APIRouter] = [
    calls_http.router,
    agents_http.router,
    orders_http.router,
    knowledge_http.router,
    directory_http.router,
    reports_http.router,
    accounts_http.router,
    agents_console.router,
    orders_console.router,
    unit_console.router,
    visit_console.router,
    callbacks_http.router,
    recordings.router,
    dialplan_editor_http.router,
    emergency_http.router,
]


def include_api(app: FastAPI) -> None:
    """Add the access policy's gate (to every route added from now on: call this first), every
    capability's routes, the one error handler and the security headers, once (a second call
    changes nothing). ``app.state.sessions`` (a ``sessionmaker``) must be set before a
    request."""
    if getattr(app.state, "api_included", False):
        return
    app.state.api_included = True
    app.router.dependencies.insert(0, Depends(authorize))
    for router in ROUTERS:
        app.include_router(router)
    install_error_handler(app)
    app.add_middleware(SecurityHeaders)
