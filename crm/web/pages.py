"""Sign-in, sign-out, the console pages and the WebSocket every console listens on."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from crm import db
from crm.accounts import throttle
from crm.accounts.services import SignInLocked, Staff, refuse_if_locked, sign_in, sign_out
from crm.http.deps import Caller, StaffDep, clock, staff_from_cookie
from crm.http.policy import console_roles
from crm.security import COOKIE, SESSION_SECONDS, make_cookie, same_origin
from crm.text import ROLE_NAMES, T, bundle

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))

# The consoles, in the order of the navigation bar; who opens each is the access policy's.
CONSOLES: list[tuple[str, str]] = [
    ("agent", "agent_console"),
    ("leader", "leader_console"),
    ("unit", "unit_console"),
    ("visits", "visits_console"),
    ("supervisor", "supervisor_console"),
    ("admin", "admin_console"),
]


def consoles_of(staff: Staff) -> list[dict[str, str]]:
    return [
        {"path": f"/web/{path}", "name": T[label], "key": path}
        for path, label in CONSOLES
        if staff.has(*console_roles(f"/web/{path}"))
    ]


def render(request: Request, name: str, staff: Staff | None, **context: Any) -> HTMLResponse:
    me = None
    if staff is not None:
        me = {
            "username": staff.username,
            "display_name": staff.display_name,
            "roles": sorted(r.value for r in staff.roles),
            "role_names": [ROLE_NAMES[r.value] for r in sorted(staff.roles)],
            "extension": staff.extension,
        }
    return templates.TemplateResponse(
        request,
        name,
        {
            "T": T,
            "me": me,
            # Read by app.js; ``tojson`` escapes < > & ' so no value can end the block.
            "page_data": {"T": bundle(), "ME": me},
            "consoles": consoles_of(staff) if staff else [],
            **context,
        },
    )


@router.get("/web/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/web/") -> HTMLResponse:
    return render(request, "login.html", None, next=next, error=None)


def refused_sign_in(
    request: Request, next: str, status: int, error: str, retry: int = 0
) -> Response:
    """The sign-in form again, with the reason and the status (401 wrong, 429 locked, 503 busy)."""
    page = render(request, "login.html", None, next=next, error=error)
    page.status_code = status
    if retry:
        page.headers["Retry-After"] = str(retry)
    return page


def locked_message(lock: throttle.Lock, now: datetime) -> str:
    minutes = max(1, -(-lock.retry_after(now) // 60))
    which = T["locked_account"] if lock.scope == throttle.ACCOUNT else T["locked_address"]
    return T["sign_in_locked"].format(which=which, minutes=minutes)


@router.post("/web/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form()] = "/web/",
) -> Response:
    """Sign in behind the throttle: a locked 工号 or address is refused (429, ``Retry-After``)
    before any hashing, and at most ``sign_in.concurrent_checks`` passwords are checked at once
    in this process, at a lower CPU priority (503 when no check slot frees in time), so
    sign-ins never starve the call path."""
    state = request.app.state
    rules = state.settings.sign_in
    at = clock(request)()
    address = throttle.client_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        rules.trusted_proxies,
    )

    def attempt(check: bool) -> tuple[int, int] | None:
        with state.sessions() as session:
            if not check:
                refuse_if_locked(session, username, address, at, state.sign_in_refusals)
                return None
            return sign_in(
                session, username, password, address=address, now=at,
                limits=state.sign_in_limits, refusals=state.sign_in_refusals,
            )  # fmt: skip

    try:
        await run_in_threadpool(attempt, False)
        found = await state.sign_in_gate.run(lambda: attempt(True))
    except SignInLocked as locked:
        return refused_sign_in(
            request, next, 429, locked_message(locked.lock, at), locked.lock.retry_after(at)
        )
    except throttle.ChecksBusy:
        return refused_sign_in(request, next, 503, T["sign_in_busy"], 1)
    if found is None:
        return refused_sign_in(request, next, 401, T["bad_login"])
    cookie = make_cookie(request.app.state.web_key, *found)
    target = next if next.startswith("/web/") and not next.startswith("//") else "/web/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        path="/",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/web/logout")
def logout(request: Request) -> Response:
    """Sign out: the session ends on the server (a replayed cookie is refused), and the browser
    forgets the cookie."""
    staff = staff_from_cookie(request.app.state, request.cookies.get(COOKIE))
    if staff is not None and same_origin(
        request.headers.get("origin"), request.headers.get("host")
    ):
        with db.transaction(request.app.state.sessions) as session:
            sign_out(session, staff.id)
    response = RedirectResponse("/web/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/web/")
def home(staff: StaffDep) -> Response:
    consoles = consoles_of(staff)
    return RedirectResponse(consoles[0]["path"] if consoles else "/web/login", status_code=303)


@router.get("/", include_in_schema=False)
def root() -> Response:
    return RedirectResponse("/web/", status_code=303)


@router.get("/web/agent", response_class=HTMLResponse)
def agent_page(request: Request, staff: StaffDep) -> HTMLResponse:
    return render(request, "agent.html", staff, page="agent")


@router.get("/web/leader", response_class=HTMLResponse)
def leader_page(request: Request, staff: StaffDep) -> HTMLResponse:
    return render(request, "leader.html", staff, page="leader")


@router.get("/web/supervisor", response_class=HTMLResponse)
def supervisor_page(request: Request, staff: StaffDep) -> HTMLResponse:
    return render(request, "supervisor.html", staff, page="supervisor")


@router.get("/web/unit", response_class=HTMLResponse)
def unit_page(request: Request, staff: StaffDep) -> HTMLResponse:
    return render(request, "unit.html", staff, page="unit")


@router.get("/web/visits", response_class=HTMLResponse)
def visits_page(request: Request, staff: StaffDep) -> HTMLResponse:
    return render(request, "visits.html", staff, page="visits")


@router.get("/web/admin", response_class=HTMLResponse)
def admin_page(request: Request, staff: StaffDep) -> HTMLResponse:
    return render(request, "admin.html", staff, page="admin")


@router.websocket("/web/ws")
async def live(ws: WebSocket) -> None:
    """The console's live feed. The access policy has checked the cookie and that the page
    opening it is ours (another site must not listen in: CSWSH), closing with 4401 / 4403."""
    caller: Caller = ws.state.caller
    staff = caller.staff
    assert staff is not None  # the WebSocket's rule admits console sessions only
    await ws.accept()
    watch = asyncio.create_task(_end_with_session(ws, ws.cookies.get(COOKIE)))
    try:
        with contextlib.suppress(WebSocketDisconnect):
            await ws.app.state.web_hub.serve(staff, ws)
    finally:
        watch.cancel()


# How often an open console's session is checked again (and counted as seen).
SESSION_RECHECK_SECONDS = 30.0


async def _end_with_session(ws: WebSocket, cookie: str | None) -> None:
    """Close an open console once its session ends (sign-out elsewhere, password change,
    deactivation, idle timeout): pops and wallboards must stop reaching a revoked session. An
    open console is a session in use, so each check also counts as seen."""
    while True:
        await asyncio.sleep(SESSION_RECHECK_SECONDS)
        if await asyncio.to_thread(staff_from_cookie, ws.app.state, cookie) is None:
            with contextlib.suppress(RuntimeError):
                await ws.close(code=4401)
            return
