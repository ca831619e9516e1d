"""Staff sign-in credentials, beside the person (``StaffUser`` in crm/models/workorders.py).

``StaffUser`` is the person and their roles; the credential is what sign-in needs (the Argon2
hash, the agent extension the person answers on) without changing that table. Never store a
password here, only its hash. ``SignInAttempt`` counts failed sign-ins (crm/accounts/throttle.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base, utcnow


class WebCredential(Base):
    __tablename__ = "web_credentials"

    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    # The agent's desk phone (settings.agents[].extension); the screen pop follows it.
    agent_extension: Mapped[str | None] = mapped_column(String(32), unique=True)
    # Bumped on password change or sign-out-everywhere: older session cookies stop working.
    session_epoch: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # When a session of this user last reached the CRM (kept to the minute): the idle timeout.
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)


class ApiToken(Base):
    """A script's personal API token: it acts as exactly its user, with that user's roles.

    Only the SHA-256 of the secret is kept (the secret is shown once, when it is issued); a
    token ends at ``expires_at`` or when revoked, and is never reused."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # What the token is for, in the words of whoever issued it (台账导出脚本 …).
    label: Mapped[str] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class SignInAttempt(Base):
    """Failed sign-ins counted for one 工号 (``scope`` "account") or one client address
    ("address") since ``window_started_at``, and the lock they led to. One row per key, so
    every CRM worker counts into the same row; a row whose window and lock are over is spent."""

    __tablename__ = "sign_in_attempts"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None] = mapped_column(default=None, index=True)
