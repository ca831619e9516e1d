"""Request-scoped dependencies: the database session, the acting user, the clock.

The acting user comes from the ``X-Hotline-User`` header (a staff username) until real sign-in
exists; an unknown or inactive user is refused, so every write can be audited with a real name.
The clock is ``app.state.wo_clock`` when set (tests freeze it), else the wall clock.
"""

from __future__ import annotations

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


def current_user(
    session: SessionDep,
    x_hotline_user: Annotated[str | None, Header(alias=USER_HEADER)] = None,
) -> Viewer:
    if not x_hotline_user:
        raise Unauthenticated(f"请在请求头 {USER_HEADER} 中提供工号")
    user = session.scalar(select(StaffUser).where(StaffUser.username == x_hotline_user))
    if user is None or not user.active:
        raise Unauthenticated(f"用户 {x_hotline_user} 不存在或已停用")
    return Viewer(user.username, frozenset(Role(r) for r in user.roles), user.unit_id)


UserDep = Annotated[Viewer, Depends(current_user)]


def clock(request: Request) -> Callable[[], datetime]:
    frozen: Callable[[], datetime] | None = getattr(request.app.state, "wo_clock", None)
    return frozen or (lambda: datetime.now(UTC))


def now(request: Request) -> datetime:
    return clock(request)()


NowDep = Annotated[datetime, Depends(now)]
