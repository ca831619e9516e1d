"""Staff sign-in for the browser consoles: Argon2id password hashes and a signed session cookie.

The cookie is ``<user id>.<epoch>.<expiry>.<HMAC-SHA256>``, HttpOnly, SameSite=Strict, signed
with a key kept in ``var_dir/web-session.key`` (created 0600 on first use, shared by every CRM
worker of the hotline). Changing a password bumps the user's ``session_epoch`` so old cookies die.
This module never logs or returns a password or a hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.domain.access import Role, Viewer
from crm.models.workorders import StaffUser
from crm.web.models import WebCredential
from crm.web.text import T

COOKIE = "hotline_session"
SESSION_SECONDS = 12 * 3600  # one shift and a half
_hasher = PasswordHasher()  # Argon2id, the library's current parameters
# Verified against when the user does not exist, so a wrong username costs the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class NotSignedIn(Exception):
    """No valid session: pages redirect to the sign-in form, the API answers 401."""


class NotAllowed(Exception):
    """Signed in, but the role does not allow this."""


@dataclass(frozen=True)
class Staff:
    """The signed-in person as the consoles need them."""

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


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def session_key(var_dir: Path) -> bytes:
    path = var_dir / "web-session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, base64.b64encode(secrets.token_bytes(32)))
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    return path.read_bytes().strip()


def _sign(key: bytes, payload: str) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def make_cookie(key: bytes, user_id: int, epoch: int, now: float | None = None) -> str:
    payload = f"{user_id}.{epoch}.{int((now or time.time()) + SESSION_SECONDS)}"
    return f"{payload}.{_sign(key, payload)}"


def read_cookie(key: bytes, value: str | None, now: float | None = None) -> tuple[int, int] | None:
    """(user id, epoch) of a valid, unexpired cookie; None for anything else."""
    if not value or value.count(".") != 3:
        return None
    payload, signature = value.rsplit(".", 1)
    if not hmac.compare_digest(_sign(key, payload), signature):
        return None
    user_id, epoch, expires = payload.split(".")
    try:
        if int(expires) < (now or time.time()):
            return None
        return int(user_id), int(epoch)
    except ValueError:
        return None


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    cred = session.get(WebCredential, user.id) if user else None
    ok = check_password(cred.password_hash if cred else None, password)
    if not ok or user is None or not user.active:
        return None
    return user


def staff_of(session: Session, user: StaffUser, cred: WebCredential | None) -> Staff:
    return Staff(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=frozenset(Role(r) for r in user.roles),
        unit_id=user.unit_id,
        extension=cred.agent_extension if cred else None,
    )


def staff_from_cookie(request_state: object, cookie: str | None) -> Staff | None:
    """The signed-in staff member for a raw cookie value (HTTP and WebSocket alike)."""
    key: bytes = request_state.web_key  # type: ignore[attr-defined]
    found = read_cookie(key, cookie)
    if found is None:
        return None
    user_id, epoch = found
    with request_state.sessions() as session:  # type: ignore[attr-defined]
        user = session.get(StaffUser, user_id)
        cred = session.get(WebCredential, user_id)
        if user is None or cred is None or not user.active or cred.session_epoch != epoch:
            return None
        return staff_of(session, user, cred)


def current_staff(request: Request) -> Staff:
    staff = staff_from_cookie(request.app.state, request.cookies.get(COOKIE))
    if staff is None:
        raise NotSignedIn(T["not_signed_in"])
    return staff


StaffDep = Annotated[Staff, Depends(current_staff)]


def require(*roles: Role):  # type: ignore[no-untyped-def]
    """A dependency that lets only the given roles through."""

    def check(staff: StaffDep) -> Staff:
        if not staff.has(*roles):
            raise NotAllowed(T["forbidden"])
        return staff

    return Depends(check)


def same_origin(request: Request) -> None:
    """Writes come from our own pages only (SameSite=Strict already; this is belt and braces)."""
    origin = request.headers.get("origin")
    if origin is not None and origin.split("://", 1)[-1] != request.headers.get("host"):
        raise NotAllowed(T["bad_origin"])
