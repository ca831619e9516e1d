"""Wiring of the consoles into the CRM app: routers, static files, error pages, the hub."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from crm.web import admin, agent, callbacks, leader, pages, supervisor
from crm.web.auth import NotAllowed, NotSignedIn, session_key
from crm.web.live import Hub

STATIC = Path(__file__).resolve().parent / "static"


def include_web(app: FastAPI) -> None:
    state = app.state
    state.web_key = session_key(state.settings.var_dir)
    state.web_hub = Hub(state)
    state.agents.ami.raw_listeners.append(state.web_hub.ami_event)
    state.agents.ami.raw_listeners.append(partial(callbacks.on_ami_event, state))
    app.mount("/web/static", StaticFiles(directory=STATIC), name="web-static")
    for module in (pages, agent, callbacks, leader, supervisor, admin):
        app.include_router(module.router)

    async def not_signed_in(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/web/api"):
            return JSONResponse({"error": str(exc), "path": request.url.path}, status_code=401)
        return RedirectResponse(f"/web/login?next={request.url.path}", status_code=303)

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc), "path": request.url.path}, status_code=403)

    app.add_exception_handler(NotSignedIn, not_signed_in)
    app.add_exception_handler(NotAllowed, not_allowed)
