"""The one error handler: every refusal answers ``{"error": message, "path": …, **details}``.

A ``HotlineError`` carries its own status (crm/domain/errors.py); FastAPI's own refusals (an
unknown route, an invalid request body) are answered in the same shape. A console page opened
without a session redirects to the sign-in form instead.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from crm.domain.errors import HotlineError, InvalidInput, NotSignedIn


def _message(exc: Exception) -> HotlineError:
    """Any error the handler receives, as a ``HotlineError``."""
    if isinstance(exc, HotlineError):
        return exc
    if isinstance(exc, RequestValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:10]
        )
        return InvalidInput(f"请求内容不正确：{problems}")
    assert isinstance(exc, StarletteHTTPException)
    error = HotlineError(str(exc.detail))
    error.status = exc.status_code
    return error


async def error_response(request: Request, exc: Exception) -> Response:
    """The JSON answer to a refusal (or the sign-in redirect for a page)."""
    path = request.url.path
    if isinstance(exc, NotSignedIn) and not path.startswith(("/web/api", "/api")):
        return RedirectResponse(f"/web/login?next={path}", status_code=303)
    error = _message(exc)
    return JSONResponse(
        status_code=error.status,
        content={"error": error.message, "path": path, **error.details},
    )


def install_error_handler(app: FastAPI) -> None:
    """Route every refusal through ``error_response``."""
    for kind in (HotlineError, StarletteHTTPException, RequestValidationError):
        app.add_exception_handler(kind, error_response)
