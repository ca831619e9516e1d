"""Request-scoped dependencies: the database session, the acting user, the clock.

The acting user is the staff member signed in to the consoles (session cookie); or, for the
hotline's own services and scripts, the staff username in ``X-Hotline-User`` together with the
service token (``Authorization: Bearer …``, ``app.state.service_token``). The header alone is
never believed. An unknown or inactive user is refused, so every write is audited with a real
name. The clock is ``app.state.wo_clock`` when set (tests freeze it), else the wall clock.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.domain.access import Role, Viewer
from crm.models.workorders import StaffUser

USER_HEADER = "X-Hotline-User"


class Unauthenticated(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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


def signed_in(request: Request) -> Viewer | None:
    """The console user of this request's session cookie, if any."""
    if not hasattr(request.app.state, "web_key"):
        return None
    from crm.web.auth import COOKIE, staff_from_cookie  # the consoles import this module

    staff = staff_from_cookie(request.app.state, request.cookies.get(COOKIE))
    return staff.viewer if staff else None


def has_service_token(request: Request, authorization: str | None) -> bool:
    token = getattr(request.app.state, "service_token", "")
    return bool(token) and secrets.compare_digest(
        (authorization or "").encode(), f"Bearer {token}".encode()
    )


def current_user(
    request: Request,
    session: SessionDep,
    x_hotline_user: Annotated[str | None, Header(alias=USER_HEADER)] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Viewer:
    viewer = signed_in(request)
    if viewer is not None:
        return viewer
    if not has_service_token(request, authorization):
        raise Unauthenticated("请先登录；热线自身的服务须携带服务令牌")
    if not x_hotline_user:
        raise Unauthenticated(f"请在请求头 {USER_HEADER} 中提供工号")
    user = session.scalar(select(StaffUser).where(StaffUser.username == x_hotline_user))
    if user is None or not user.active:
        raise Unauthenticated(f"用户 {x_hotline_user} 不存在或已停用")
    return Viewer(user.username, frozenset(Role(r) for r in user.roles), user.unit_id)


UserDep = Annotated[Viewer, Depends(current_user)]


def console_or_service(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Viewer:
    """Who may read the call path's API: a signed-in console user, or a service with the token."""
    viewer = signed_in(request)
    if viewer is not None:
        return viewer
    if has_service_token(request, authorization):
        return SERVICE
    raise Unauthenticated("请先登录；热线自身的服务须携带服务令牌")


ReaderDep = Annotated[Viewer, Depends(console_or_service)]


def clock(request: Request) -> Callable[[], datetime]:
    frozen: Callable[[], datetime] | None = getattr(request.app.state, "wo_clock", None)
    return frozen or (lambda: datetime.now(UTC))


def now(request: Request) -> datetime:
    return clock(request)()


NowDep = Annotated[datetime, Depends(now)]
