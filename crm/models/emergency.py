"""The call-emergency plan's records: post-event summaries and the harassment blocklist.

docs/hotline-rules.md, "Call-emergency plan". A summary is written after the event by the
hotline leader and kept as written (a correction is a new summary). A blocklist entry is never
deleted: removing it stamps who and when, so the audit log and the table tell the same story.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base, utcnow


class EmergencySummary(Base):
    """事后总结: why it happened and what is improved, for one ticket judged by the plan."""

    __tablename__ = "emergency_summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # fraud | harassment | emergency
    cause: Mapped[str] = mapped_column(Text)
    improvements: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BlockedNumber(Base):
    """骚扰号码: calls from this number hear a message and are recorded, until it expires.

    ``number`` is in the one canonical form (callmodel/phones.py ``normalize_phone``).
    """

    __tablename__ = "blocked_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    removed_by: Mapped[str | None] = mapped_column(String(64))
    removed_at: Mapped[datetime | None]
