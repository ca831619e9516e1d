"""Staff accounts: who signs in, with which roles and extension (create-admin and 用户管理).

``Staff`` is the signed-in person as every route sees them; ``authenticate`` checks a password,
``sign_in`` does so behind the throttle (crm/accounts/throttle.py: a locked 工号 or address is
refused before any hashing), ``signed_in_staff`` checks a session cookie's user, epoch and idle
time (crm/security.py signs the cookie). A new password must pass crm/accounts/passwords.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import audit
from crm.accounts import throttle
from crm.accounts.passwords import MIN_LENGTH, password_problem
from crm.domain.access import Role, Viewer
from crm.models import WebCredential
from crm.models.base import utcnow
from crm.models.workorders import StaffUser
from crm.security import check_password, hash_password

MIN_PASSWORD = MIN_LENGTH
# How stale the stored last-seen time may get before a request writes it again: the idle
# timeout costs one small write per user per minute, not one per request.
SEEN_GRANULARITY = timedelta(minutes=1)


class AccountError(ValueError):
    """An account that cannot be saved as asked (short password, taken extension…)."""


class SignInLocked(Exception):
    """Too many failed sign-ins for this 工号 or address: refused, even with the right password,
    until ``lock.until``."""

    def __init__(self, lock: throttle.Lock) -> None:
        super().__init__(f"{lock.scope} locked until {lock.until.isoformat()}")
        self.lock = lock


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


def refuse_if_locked(
    session: Session,
    username: str,
    address: str,
    now: datetime,
    refusals: throttle.RefusalAudit | None = None,
) -> None:
    """Raise ``SignInLocked`` if the 工号 or the address is locked; no hashing. The refusal is
    audited as ``web_login_locked`` (with ``refusals``: the first one of a lock and address,
    then one a minute with the count) and committed."""
    lock = throttle.is_locked(session, username, address, now)
    if lock is None:
        return
    count = refusals.due(lock, address, now) if refusals else 1
    if count:
        audit.record(
            session, username[:64], "web_login_locked", "sign_in", f"{lock.scope}:{lock.key}",
            address=address, locked_until=lock.until.isoformat(), refused=count,
        )  # fmt: skip
        session.commit()
    raise SignInLocked(lock)


def sign_in(
    session: Session,
    username: str,
    password: str,
    *,
    address: str = "unknown",
    now: datetime | None = None,
    limits: throttle.Limits | None = None,
    refusals: throttle.RefusalAudit | None = None,
) -> tuple[int, int] | None:
    """(user id, session epoch) for a right password, else None; either way audited and
    committed. A locked 工号 or address raises ``SignInLocked`` before the password is looked
    at; the failure that reaches a limit raises it too (the lock starts with it)."""
    now = now or utcnow()
    limits = limits or throttle.Limits()
    refuse_if_locked(session, username, address, now, refusals)
    user = authenticate(session, username, password)
    audit.record(
        session,
        username[:64],
        "web_login" if user else "web_login_failed",
        "staff_user",
        user.id if user else None,
        address=address,
    )
    if user is None:
        started = throttle.record_failure(session, username, address, now, limits)
        session.commit()
        if started is not None:
            raise SignInLocked(started)
        return None
    throttle.record_success(session, username)
    cred = session.get_one(WebCredential, user.id)
    cred.last_seen_at = now
    found = user.id, cred.session_epoch
    session.commit()
    return found


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


def signed_in_staff(
    session: Session,
    user_id: int,
    epoch: int,
    *,
    now: datetime | None = None,
    idle: timedelta | None = None,
) -> Staff | None:
    """The staff member of a valid cookie: active, signed in since the last password change or
    sign-out, and seen within ``idle``. A session found idle is ended for good (the epoch moves
    on, so signing in again elsewhere does not revive the old cookie); a live one refreshes its
    last-seen time once a minute. The caller commits."""
    user = session.get(StaffUser, user_id)
    cred = session.get(WebCredential, user_id)
    if user is None or cred is None or not user.active or cred.session_epoch != epoch:
        return None
    now = now or utcnow()
    seen = cred.last_seen_at
    if idle is not None and seen is not None and now - seen > idle:
        cred.session_epoch = (cred.session_epoch or 0) + 1
        audit.record(session, user.username, "web_session_idle", "staff_user", user.id)
        return None
    if seen is None or now - seen >= SEEN_GRANULARITY:
        cred.last_seen_at = now
    return staff_of(user, cred)


def set_account(
    session: Session,
    username: str,
    password: str,
    roles: Iterable[Role | str],
    *,
    display_name: str | None = None,
    extension: str | None = None,
    unit_id: int | None = None,
    actor: str = "cli",
    min_score: int = 3,
) -> StaffUser:
    """Create the user (or update roles and password of an existing one); never commits. The
    password must pass the rule (crm/accounts/passwords.py: length, not the 工号 or name, zxcvbn
    score at least ``min_score``). Setting it ends the user's sessions."""
    username = username.strip()
    if not username or len(username) > 64:
        raise AccountError("工号不能为空，且不超过64个字符")
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    name = display_name or (user.display_name if user else None)
    problem = password_problem(password, username, name, min_score)
    if problem:
        raise AccountError(problem)
    role_values = sorted({Role(r).value for r in roles})
    if not role_values:
        raise AccountError("至少选择一个角色")
    if user is None:
        user = StaffUser(username=username, display_name=display_name or username, roles=[])
        session.add(user)
    user.roles = role_values
    if unit_id is not None:  # a member unit's staff see its orders (crm/orders/unit_inbox.py)
        user.unit_id = unit_id
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


def deactivate_account(session: Session, username: str, *, actor: str) -> bool:
    """The person may no longer sign in and every session of theirs ends (the epoch moves on,
    and ``signed_in_staff`` refuses inactive users anyway); audited. False for an unknown
    工号. Never commits."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
    if user is None:
        return False
    user.active = False
    cred = session.get(WebCredential, user.id)
    if cred is not None:
        cred.session_epoch = (cred.session_epoch or 0) + 1
    audit.record(session, actor, "deactivate_account", "staff_user", user.id)
    return True


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
