"""Request-scoped dependencies every route uses: who is asking and may they, the database
session, the clock.

Who is asking, and whether they may use the route, is decided in one place: ``authorize``, a
dependency of every route of the application (``crm.app.include_api``), which looks the matched
route up in the access policy (crm/http/policy.py). The caller is

* a member of staff signed in to the consoles (session cookie, crm/security.py); a change made
  with the cookie must come from our own pages;
* a member of staff through their personal API token (``Authorization: Bearer hlt_…``,
  crm/accounts/tokens.py): exactly that user, with that user's roles, every use audited;
* the FastAGI server through the service token (``app.state.service_token``): no person, and
  only the routes the table opens to ``Purpose.CALL_EVENTS``.

No header names a user: the credential is the user. ``StaffDep`` and ``UserDep`` hand the
route the member of staff ``authorize`` let through. The clock is ``app.state.clock`` when set
(tests freeze it), else the wall clock.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.exceptions import WebSocketException
from starlette.requests import HTTPConnection

from crm.accounts import tokens
from crm.accounts.services import Staff, signed_in_staff
from crm.domain.access import Purpose, Viewer
from crm.domain.errors import Forbidden, HotlineError, NotSignedIn, Unauthenticated
from crm.http.policy import POLICY, WEBSOCKET, Key, Rule
from crm.security import COOKIE, bearer, read_cookie
from crm.security import same_origin as _same_origin
from crm.text import T

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NO_CREDENTIALS = "请先登录；脚本须携带个人 API 令牌（Authorization: Bearer …）"
NOT_BEARER = "Authorization 请求头须为 Bearer 令牌"
UNLISTED = "该接口未列入访问策略，已拒绝"
SERVICE_TOKEN_ONLY = "服务令牌仅供 FastAGI 服务器上报呼叫事件，不能用于此接口"
TOKEN_NOT_HERE = "个人 API 令牌不能用于此接口，请在控制台登录后操作"
# WebSocket close codes before the handshake completes (the consoles reconnect or sign in).
WS_UNAUTHENTICATED, WS_FORBIDDEN = 4401, 4403


@dataclass(frozen=True)
class Caller:
    """Whom ``authorize`` let through: a member of staff (cookie: ``purpose`` None; personal
    API token: ``Purpose.API``), or the FastAGI server (no staff, ``Purpose.CALL_EVENTS``)."""

    staff: Staff | None
    purpose: Purpose | None = None


def clock(request: HTTPConnection) -> Callable[[], datetime]:
    """The request's clock: the frozen one tests set, else the wall clock."""
    frozen: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return frozen or (lambda: datetime.now(UTC))


def staff_from_cookie(state: object, cookie: str | None) -> Staff | None:
    """The signed-in staff member for a raw cookie value (HTTP and WebSocket alike); the
    session's last-seen time (idle timeout, ``settings.sign_in.idle_minutes``) is kept here."""
    key: bytes | None = getattr(state, "web_key", None)
    found = read_cookie(key, cookie) if key else None
    if found is None:
        return None
    frozen: Callable[[], datetime] | None = getattr(state, "clock", None)
    settings = getattr(state, "settings", None)
    idle = timedelta(minutes=settings.sign_in.idle_minutes) if settings else None
    with state.sessions() as session:  # type: ignore[attr-defined]
        staff = signed_in_staff(session, *found, now=frozen() if frozen else None, idle=idle)
        session.commit()
        return staff


def _key(conn: HTTPConnection) -> Key:
    route = conn.scope.get("route")
    path = str(getattr(route, "path_format", None) or conn.url.path)
    method = WEBSOCKET if conn.scope["type"] == "websocket" else conn.scope["method"]
    return method, path


def _identify(conn: HTTPConnection, route: str) -> Caller:
    """The caller of this request, by its credential; raises ``Unauthenticated`` without a
    valid one. A bearer token, when present, decides alone (it is never mixed with a cookie)."""
    state = conn.app.state
    header = conn.headers.get("authorization")
    if header is not None:
        token = bearer(header)
        if token is None:
            raise Unauthenticated(NOT_BEARER)
        service: str = getattr(state, "service_token", "") or ""
        if service and secrets.compare_digest(token.encode(), service.encode()):
            return Caller(None, Purpose.CALL_EVENTS)
        with state.sessions() as session:
            staff = tokens.holder(session, token, now=clock(conn)(), route=route)
        return Caller(staff, Purpose.API)
    staff = staff_from_cookie(state, conn.cookies.get(COOKIE))
    if staff is None:
        raise NotSignedIn(NO_CREDENTIALS)
    # A change made with the cookie, or a WebSocket opened with it, must come from our own
    # pages: another site's page must not act (or listen) in the user's name.
    unsafe = conn.scope["type"] == "websocket" or conn.scope["method"] not in SAFE_METHODS
    if unsafe and not _same_origin(conn.headers.get("origin"), conn.headers.get("host")):
        raise Forbidden(T["bad_origin"])
    return Caller(staff)


def _admit(rule: Rule, caller: Caller, route: str) -> None:
    """Refuse (403) a caller the route's rule does not name."""
    if caller.staff is None:
        if caller.purpose not in rule.tokens:
            raise Forbidden(SERVICE_TOKEN_ONLY, route=route)
        return
    if caller.purpose is not None and caller.purpose not in rule.tokens:
        raise Forbidden(TOKEN_NOT_HERE, route=route)
    if not caller.staff.roles & rule.roles:
        raise Forbidden(rule.refusal or refusal(rule), route=route)


def refusal(rule: Rule) -> str:
    """What a refused role is told: which roles may (the route's own words if it has some)."""
    names = "、".join(role.label for role in sorted(rule.roles))
    return f"{T['forbidden']}（须为：{names}）" if names else T["forbidden"]


def check(conn: HTTPConnection) -> Caller | None:
    """Who is asking, if the access policy lets them use the matched route (None for a public
    route); raises ``Unauthenticated`` (401) or ``Forbidden`` (403)."""
    key = _key(conn)
    route = " ".join(key)
    rule = POLICY.get(key)
    if rule is None:
        log.error("route %s is not in the access policy: refused", route)
        raise Forbidden(UNLISTED, route=route)
    if rule.public:
        return None
    caller = _identify(conn, route)
    _admit(rule, caller, route)
    return caller


def authorize(conn: HTTPConnection) -> None:
    """The one gate of every route: the caller goes to ``conn.state.caller``. A refused
    WebSocket is closed before the handshake (4401 / 4403)."""
    try:
        conn.state.caller = check(conn)
    except HotlineError as refused:
        if conn.scope["type"] != "websocket":
            raise
        code = WS_FORBIDDEN if isinstance(refused, Forbidden) else WS_UNAUTHENTICATED
        raise WebSocketException(code=code, reason=refused.message) from refused


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; handlers commit explicitly, anything else is rolled back."""
    factory = request.app.state.sessions
    with factory() as session:
        try:
            yield session
        finally:
            session.rollback()


SessionDep = Annotated[Session, Depends(get_session)]


def current_staff(conn: HTTPConnection) -> Staff:
    """The member of staff ``authorize`` let through (cookie or personal token)."""
    caller: Caller | None = getattr(conn.state, "caller", None)
    if caller is None or caller.staff is None:
        raise Unauthenticated(NO_CREDENTIALS)
    return caller.staff


StaffDep = Annotated[Staff, Depends(current_staff)]


def current_user(staff: StaffDep) -> Viewer:
    """The acting user as the rules see them (roles, unit)."""
    return staff.viewer


UserDep = Annotated[Viewer, Depends(current_user)]


def same_origin(request: Request) -> None:
    """Console routes answer our own pages only (SameSite=Strict already; belt and braces)."""
    if not _same_origin(request.headers.get("origin"), request.headers.get("host")):
        raise Forbidden(T["bad_origin"])


def now(request: Request) -> datetime:
    """The moment a route acts at (deadlines are computed from it)."""
    return clock(request)()


NowDep = Annotated[datetime, Depends(now)]
