"""Staff accounts: who signs in, with which roles and extension (create-admin and 用户管理).

``Staff`` is the signed-in person as every route sees them; ``authenticate`` checks a password,
``signed_in_staff`` a session cookie's user and epoch (crm/security.py signs the cookie).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import audit
from crm.domain.access import Role, Viewer
from crm.models import WebCredential
from crm.models.workorders import StaffUser
from crm.security import check_password, hash_password

MIN_PASSWORD = 10


class AccountError(ValueError):
    """An account that cannot be saved as asked (short password, taken extension…)."""


@dataclass(frozen=True)
class Staff:
    """The signed-in person as the routes need them."""

    id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    unit_id: int | None
    extension: str | None

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.username, self.roles, self.unit_id)

    def has(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The active user with this username and password, else None (same cost either way)."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    cred = session.get(WebCredential, user.id) if user else None
    ok = check_password(cred.password_hash if cred else None, password)
    if not ok or user is None or not user.active:
        return None
    return user


def sign_in(session: Session, username: str, password: str) -> tuple[int, int] | None:
    """(user id, session epoch) for a right password, else None; either way audited."""
    user = authenticate(session, username, password)
    audit.record(
        session,
        username[:64],
        "web_login" if user else "web_login_failed",
        "staff_user",
        user.id if user else None,
    )
    session.commit()
    if user is None:
        return None
    cred = session.get(WebCredential, user.id)
    assert cred is not None
    return user.id, cred.session_epoch


def sign_out(session: Session, user_id: int) -> None:
    """End the user's sessions on the server: the session epoch moves on, so the cookie is dead
    even if it was copied or is replayed after sign-out (it is signed for the old epoch).
    Audited; never commits."""
    cred = session.get(WebCredential, user_id)
    if cred is None:
        return
    cred.session_epoch = (cred.session_epoch or 0) + 1
    audit.record(
        session, session.get_one(StaffUser, user_id).username, "web_logout", "staff_user", user_id
    )


def username_taken(session: Session, username: str) -> bool:
    """Whether a staff member of this username exists (active or not): creating one again would
    overwrite their roles and password."""
    found = session.scalar(select(StaffUser.id).where(StaffUser.username == username.strip()))
    return found is not None


def staff_of(user: StaffUser, cred: WebCredential | None) -> Staff:
    """The person as the routes see them, from their rows."""
    return Staff(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=frozenset(Role(r) for r in user.roles),
        unit_id=user.unit_id,
        extension=cred.agent_extension if cred else None,
    )


def signed_in_staff(session: Session, user_id: int, epoch: int) -> Staff | None:
    """The staff member of a valid cookie: active, and signed in since the last password change."""
    user = session.get(StaffUser, user_id)
    cred = session.get(WebCredential, user_id)
    if user is None or cred is None or not user.active or cred.session_epoch != epoch:
        return None
    return staff_of(user, cred)


def set_account(
    session: Session,
    username: str,
    password: str,
    roles: Iterable[Role | str],
    *,
    display_name: str | None = None,
    extension: str | None = None,
    actor: str = "cli",
) -> StaffUser:
    """Create the user (or update roles and password of an existing one); never commits."""
    username = username.strip()
    if not username or len(username) > 64:
        raise AccountError("工号不能为空，且不超过64个字符")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符")
    role_values = sorted({Role(r).value for r in roles})
    if not role_values:
        raise AccountError("至少选择一个角色")
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        user = StaffUser(username=username, display_name=display_name or username, roles=[])
        session.add(user)
    user.roles = role_values
    if display_name:
        user.display_name = display_name
    user.active = True
    session.flush()
    if extension:
        taken = session.scalar(
            select(WebCredential).where(
                WebCredential.agent_extension == extension, WebCredential.user_id != user.id
            )
        )
        if taken is not None:
            raise AccountError(f"分机 {extension} 已绑定其他用户")
    cred = session.get(WebCredential, user.id)
    if cred is None:
        cred = WebCredential(user_id=user.id, password_hash="", session_epoch=0)
        session.add(cred)
    else:
        cred.session_epoch = (cred.session_epoch or 0) + 1
    cred.password_hash = hash_password(password)
    cred.agent_extension = extension or None
    session.flush()
    audit.record(session, actor, "set_account", "staff_user", user.id, roles=role_values)
    return user


def list_accounts(session: Session) -> list[dict[str, Any]]:
    """Every staff member with whether and where they can sign in, by username."""
    rows = session.execute(
        select(StaffUser, WebCredential)
        .outerjoin(WebCredential, WebCredential.user_id == StaffUser.id)
        .order_by(StaffUser.username)
    )
    return [
        {
            "username": u.username,
            "display_name": u.display_name,
            "roles": u.roles,
            "active": u.active,
            "extension": c.agent_extension if c else None,
            "can_sign_in": c is not None,
        }
        for u, c in rows
    ]
