"""Request-scoped dependencies every route uses: the database session, who is asking, the clock.

Who is asking is decided in one place (``identify``): the staff member signed in to the
consoles (session cookie, crm/security.py); or, for the hotline's own services and scripts, the
service token (``Authorization: Bearer …``, ``app.state.service_token``) with the staff username
in ``X-Hotline-User``. The header alone is never believed. An unknown or inactive user is
refused, so every write is audited with a real name. The routes differ only in what they accept:

* ``UserDep``: a console user, or the token with a user (the work-order API);
* ``ReaderDep``: a console user, or the token alone (the call path's read API);
* ``require(*roles)``: a console user with one of the roles (the consoles' routes).

The clock is ``app.state.clock`` when set (tests freeze it), else the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from crm.accounts.services import Staff, signed_in_staff, staff_by_username
from crm.domain.access import Role, Viewer
from crm.domain.errors import Forbidden, NotSignedIn, Unauthenticated
from crm.security import COOKIE, has_service_token, read_cookie
from crm.security import same_origin as _same_origin
from crm.text import T

USER_HEADER = "X-Hotline-User"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NO_CREDENTIALS = "请先登录；热线自身的服务须携带服务令牌"


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; handlers commit explicitly, anything else is rolled back."""
    factory = request.app.state.sessions
    with factory() as session:
        try:
            yield session
        finally:
            session.rollback()


SessionDep = Annotated[Session, Depends(get_session)]


# The hotline's own services (FastAGI server, scripts) calling with the service token alone.
SERVICE = Viewer(
    "service", frozenset({Role.AGENT, Role.SHIFT_LEADER, Role.REVIEWER, Role.HOTLINE_LEADER})
)


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


def identify(
    request: Request,
    authorization: str | None,
    user: str | None,
    session: Session | None = None,
) -> Staff | Viewer | None:
    """Who is asking: the console user of the cookie; else, with the service token, the staff
    member named in ``X-Hotline-User`` (or ``SERVICE`` when none is named); else None.
    Raises ``Unauthenticated`` for a token naming an unknown or inactive user, and
    ``Forbidden`` for a cookie-authenticated change sent from another site's page."""
    staff = staff_from_cookie(request.app.state, request.cookies.get(COOKIE))
    if staff is not None:
        # A change made with the cookie must come from our own pages (no cross-site requests).
        if request.method not in SAFE_METHODS:
            same_origin(request)
        return staff
    if not has_service_token(getattr(request.app.state, "service_token", ""), authorization):
        return None
    if not user:
        return SERVICE
    if session is None:
        with request.app.state.sessions() as own:
            found = staff_by_username(own, user)
    else:
        found = staff_by_username(session, user)
    if found is None:
        raise Unauthenticated(f"用户 {user} 不存在或已停用")
    return found


def _viewer(who: Staff | Viewer) -> Viewer:
    return who.viewer if isinstance(who, Staff) else who


def current_user(
    request: Request,
    session: SessionDep,
    x_hotline_user: Annotated[str | None, Header(alias=USER_HEADER)] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Viewer:
    """The acting user of a work-order route; a service must name the staff member."""
    who = identify(request, authorization, x_hotline_user, session)
    if who is None:
        raise Unauthenticated(NO_CREDENTIALS)
    if who is SERVICE:
        raise Unauthenticated(f"请在请求头 {USER_HEADER} 中提供工号")
    return _viewer(who)


UserDep = Annotated[Viewer, Depends(current_user)]


def console_or_service(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Viewer:
    """Who may read the call path's API: a signed-in console user, or a service with the token."""
    who = identify(request, authorization, None)
    if who is None:
        raise Unauthenticated(NO_CREDENTIALS)
    return _viewer(who)


ReaderDep = Annotated[Viewer, Depends(console_or_service)]


def current_staff(request: Request) -> Staff:
    """The console user of this request's cookie; pages redirect to sign-in without one."""
    staff = staff_from_cookie(request.app.state, request.cookies.get(COOKIE))
    if staff is None:
        raise NotSignedIn(T["not_signed_in"])
    return staff


StaffDep = Annotated[Staff, Depends(current_staff)]


def require(*roles: Role):  # type: ignore[no-untyped-def]
    """A dependency that lets only console users of the given roles through."""

    def check(staff: StaffDep) -> Staff:
        if not staff.has(*roles):
            raise Forbidden(T["forbidden"])
        return staff

    return Depends(check)


def same_origin(request: Request) -> None:
    """Writes come from our own pages only (SameSite=Strict already; this is belt and braces)."""
    if not _same_origin(request.headers.get("origin"), request.headers.get("host")):
        raise Forbidden(T["bad_origin"])


def clock(request: Request) -> Callable[[], datetime]:
    """The request's clock: the frozen one tests set, else the wall clock."""
    frozen: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return frozen or (lambda: datetime.now(UTC))


def now(request: Request) -> datetime:
    """The moment a route acts at (deadlines are computed from it)."""
    return clock(request)()


NowDep = Annotated[datetime, Depends(now)]
