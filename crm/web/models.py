"""Tables of the browser consoles: staff sign-in credentials and kept versions of edited files.

``StaffUser`` (crm/models/workorders.py) is the person and their roles; the console adds what
sign-in needs beside it (the Argon2 hash, the agent extension the person answers on) without
changing that table. Never store a password here, only its hash.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

import crm.models  # noqa: F401  (staff_users in the same metadata)
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


class ConfigVersion(Base):
    """One saved version of a telephony file (the IVR menu) with its author and diff."""

    __tablename__ = "config_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[str] = mapped_column(Text)
    diff: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
