"""Work orders (工单) and everything around them: units, callers, staff, replies, return visits.

The call path owns ``Ticket`` (定单, one per call, in ``calls.py``). The rules keep their own view
of a ticket in ``TicketDetail`` (one row per ticket once an agent has registered it): type-specific
facts the agent recorded, the classification that was applied, the deadlines computed from the
call's timestamp. A ``WorkOrder`` is one dispatch of a ticket to a member unit; a re-dispatch is a
new ticket whose ``Ticket.previous_ticket_id`` points at the old one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, utcnow


class Unit(Base):
    """A member unit (成员单位) or another body calls are about (banks, railways …)."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    level: Mapped[str] = mapped_column(String(16), default="city")  # city | district
    district: Mapped[str | None] = mapped_column(String(64))
    contact_person: Mapped[str | None] = mapped_column(String(64))
    contact_number: Mapped[str | None] = mapped_column(String(32))
    complaint_number: Mapped[str | None] = mapped_column(String(32))
    is_member: Mapped[bool] = mapped_column(Boolean, default=True)
    is_government: Mapped[bool] = mapped_column(Boolean, default=True)
    # 纪检监察 or judicial body: the only kind a whistle-blowing report may be forwarded to
    # (docs/hotline-rules.md, "Whistle-blowing report").
    handles_reports: Mapped[bool] = mapped_column(Boolean, default=False)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Caller(Base):
    """A citizen by normalised number; name and address only if they gave them."""

    __tablename__ = "callers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffUser(Base):
    """A member of staff; ``roles`` holds ``crm.domain.access.Role`` values."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TicketDetail(Base):
    """The rules' record of a ticket: what was registered, how it was classified, when it is due."""

    __tablename__ = "ticket_details"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"), index=True)
    requested_type: Mapped[str] = mapped_column(String(16))  # what the agent chose
    call_type: Mapped[str] = mapped_column(String(16), index=True)  # after the rules
    question: Mapped[str] = mapped_column(Text, default="")
    contact_number: Mapped[str | None] = mapped_column(String(32))
    location: Mapped[str | None] = mapped_column(String(256))
    target: Mapped[str | None] = mapped_column(String(128))
    body_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    forwardable: Mapped[bool] = mapped_column(Boolean, default=True)
    reply_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    assigned_reviewer: Mapped[str | None] = mapped_column(String(64))
    taken_by: Mapped[str] = mapped_column(String(64))  # first-contact agent (首接负责)
    refer_number: Mapped[str | None] = mapped_column(String(32))
    # A help request's repair: its category and the key of its place (crm/domain/repairs.py),
    # and the earlier order it repeats (重复报修), if it does.
    repair_category: Mapped[str | None] = mapped_column(String(32))
    address_key: Mapped[str | None] = mapped_column(String(256), index=True)
    repeat_repair_of: Mapped[str | None] = mapped_column(String(20))
    special_line: Mapped[str | None] = mapped_column(String(32))
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    tell_caller: Mapped[list[str]] = mapped_column(JSON, default=list)
    simple: Mapped[bool] = mapped_column(Boolean, default=False)
    simple_reason: Mapped[str | None] = mapped_column(Text)
    called_at: Mapped[datetime]
    reply_due: Mapped[datetime | None] = mapped_column(index=True)
    dispatch_due: Mapped[datetime | None]
    unit_feedback_due: Mapped[datetime | None]
    archive_due: Mapped[datetime | None]
    deadlines_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue: Mapped[list[str]] = mapped_column(JSON, default=list)  # stages already flagged
    result: Mapped[str | None] = mapped_column(Text)  # what the caller was finally told
    answered_at: Mapped[datetime | None]
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WorkOrder(Base):
    """One dispatch (下派) of a ticket to a unit; ``kind`` is normal or simple (简易工单)."""

    __tablename__ = "work_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="normal")
    reason: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    dispatched_by: Mapped[str] = mapped_column(String(64))
    dispatched_at: Mapped[datetime] = mapped_column(default=utcnow)
    feedback_due: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]

    unit: Mapped[Unit] = relationship()
    replies: Mapped[list[UnitReply]] = relationship(back_populates="work_order")


class UnitReply(Base):
    """A unit's feedback (反馈); for a simple order the reviewer records who answered, and what."""

    __tablename__ = "unit_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(64))
    replied_at: Mapped[datetime] = mapped_column(default=utcnow)

    work_order: Mapped[WorkOrder] = relationship(back_populates="replies")


class ReturnVisit(Base):
    """A return visit (回访): the caller's satisfaction 1..5 and whether the matter was solved."""

    __tablename__ = "return_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    satisfaction: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    visited_by: Mapped[str] = mapped_column(String(64))
    visited_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who did what to which record; also every read of a confidential report."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(48))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
