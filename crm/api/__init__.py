"""The work-order REST API: routers per resource, JSON errors, the acting user on every write.

Mount it into the CRM app with ``include_work_order_api(app)`` after ``app.state.sessions`` (a
``sessionmaker``) is set, as ``crm.app.create_app`` does. ``ROUTERS`` lists the routers for an
app that wants to include them itself (it must then also call ``install_error_handlers``).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from crm.api import directory, knowledge, orders, reports
from crm.api.deps import Unauthenticated
from crm.domain.errors import RuleViolation
from crm.services.errors import Forbidden, InvalidInput, NotFound

ROUTERS = [orders.router, knowledge.router, directory.router, reports.router]


def _json(status: int, request: Request, message: str, **extra: object) -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"error": message, "path": request.url.path, **extra}
    )


async def _rule(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RuleViolation)
    return _json(409, request, exc.message, rule=exc.rule)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return _json(404, request, getattr(exc, "message", str(exc)))


async def _forbidden(request: Request, exc: Exception) -> JSONResponse:
    return _json(403, request, getattr(exc, "message", str(exc)))


async def _unauthenticated(request: Request, exc: Exception) -> JSONResponse:
    return _json(401, request, getattr(exc, "message", str(exc)))


async def _bad_value(request: Request, exc: Exception) -> JSONResponse:
    return _json(422, request, str(exc), **getattr(exc, "details", {}))


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:10]
    )
    return _json(422, request, f"请求内容不正确：{problems}")


def install_error_handlers(app: FastAPI) -> None:
    """JSON errors ``{"error": message, "path": …}`` like the rest of the CRM."""
    current = app.exception_handlers.get(RequestValidationError)
    if current in (None, request_validation_exception_handler):  # create_app installs its own
        app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(RuleViolation, _rule)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(Unauthenticated, _unauthenticated)
    app.add_exception_handler(InvalidInput, _bad_value)


def include_work_order_api(app: FastAPI) -> None:
    """Add the routers and error handlers once (a second call changes nothing)."""
    if getattr(app.state, "work_order_api", False):
        return
    app.state.work_order_api = True
    for router in ROUTERS:
        app.include_router(router)
    install_error_handlers(app)
