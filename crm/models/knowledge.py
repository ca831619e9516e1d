"""Knowledge base (知识库) articles, which article answered which call, the special-lines directory.

Full-text search is not modelled here: the migration adds an FTS5 trigram table on SQLite and a
pg_trgm index on PostgreSQL; ``crm.knowledge.services`` queries whichever exists.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base, utcnow


class KbArticle(Base):
    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(64), default="seed")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KbAnswer(Base):
    """Article ``article_id`` answered ticket ``ticket_id`` (principle 1: standard answers only)."""

    __tablename__ = "kb_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"), index=True)
    answered_by: Mapped[str] = mapped_column(String(64))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpecialLineEntry(Base):
    """One special line (专线) callers are referred to; admins edit these rows."""

    __tablename__ = "special_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(200), default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
