"""Wiring of the consoles' pages into the CRM app: pages, static files, the hub."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from crm.accounts.throttle import CheckGate, Limits, RefusalAudit
from crm.security import session_key
from crm.web import pages
from crm.web.hub import Hub

STATIC = Path(__file__).resolve().parent / "static"


def include_web(app: FastAPI) -> None:
    """Mount the pages, the WebSocket hub and the static files (the routes they call are the
    capabilities', mounted by ``crm.app.include_api``)."""
    state = app.state
    state.web_key = session_key(state.settings.var_dir)
    state.web_hub = Hub(state)
    rules = state.settings.sign_in
    state.sign_in_limits = Limits.of(rules)
    state.sign_in_gate = CheckGate(rules.concurrent_checks, rules.check_wait_seconds)
    state.sign_in_refusals = RefusalAudit()
    app.mount("/web/static", StaticFiles(directory=STATIC), name="web-static")
    app.include_router(pages.router)
