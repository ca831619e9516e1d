"""Security primitives of the CRM: password hashes, the signed session cookie, the service token,
personal API tokens.

The cookie is ``<user id>.<epoch>.<expiry>.<HMAC-SHA256>``, HttpOnly, SameSite=Strict, signed
with a key kept in ``var_dir/web-session.key`` (created 0600 on first use, shared by every CRM
worker of the hotline). Changing a password bumps the user's ``session_epoch`` so old cookies die.
The FastAGI server presents the service token (``Authorization: Bearer <token>``); a script
presents a personal API token the same way, of which only the SHA-256 is stored (a random
256-bit secret needs no slow hash: it cannot be guessed from a dictionary).
Both the consoles and the REST API authenticate through these functions (``crm.http.deps``);
this module never logs or returns a password or a hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

COOKIE = "hotline_session"
SESSION_SECONDS = 12 * 3600  # one shift and a half
_hasher = PasswordHasher()  # Argon2id, the library's current parameters
# Verified against when the user does not exist, so a wrong username costs the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """The Argon2id hash stored instead of the password."""
    return _hasher.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``; as slow for an unknown user as for a known one."""
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def session_key(var_dir: Path) -> bytes:
    """The site's cookie-signing key, created (0600) the first time a CRM starts."""
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
    """A session cookie for this user and password epoch, valid for ``SESSION_SECONDS``."""
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


def same_origin(origin: str | None, host: str | None) -> bool:
    """Whether a browser request (or WebSocket) comes from our own pages: no Origin, or ours."""
    return origin is None or origin.split("://", 1)[-1] == host


API_TOKEN_PREFIX = "hlt_"


def new_api_token() -> str:
    """A fresh personal API token (shown once; only ``token_digest`` of it is kept)."""
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored of a personal API token and looked up when one is presented."""
    return hashlib.sha256(token.encode()).hexdigest()


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, else None."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None
