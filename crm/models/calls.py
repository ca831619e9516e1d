"""Calls (what the telephone system saw) and tickets (定单, what the hotline owes the caller)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callmodel.calltypes import CallType, TicketStatus
from crm.models.base import Base, str_enum, utcnow


class Call(Base):
    """One citizen's call, keyed by the Asterisk Uniqueid of the caller's channel."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    uniqueid: Mapped[str] = mapped_column(String(64), unique=True)
    linkedid: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str | None] = mapped_column(String(128))
    caller_number: Mapped[str] = mapped_column(String(32), index=True)
    caller_name: Mapped[str | None] = mapped_column(String(128))
    dialled_number: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime]

    # The IVR: every key or event in order, and where it sent the caller.
    ivr_path: Mapped[list[str]] = mapped_column(JSON, default=list)
    ivr_choice: Mapped[str | None] = mapped_column(String(64))
    ivr_fallback: Mapped[bool] = mapped_column(default=False)
    route: Mapped[str | None] = mapped_column(String(16))
    route_reason: Mapped[str | None] = mapped_column(String(64))
    urgent_words: Mapped[list[str]] = mapped_column(JSON, default=list)

    # 110 transfer.
    emergency_dial_status: Mapped[str | None] = mapped_column(String(32))
    transferred_to_110: Mapped[bool] = mapped_column(default=False)

    # The queue and the agent.
    queue: Mapped[str | None] = mapped_column(String(64))
    queue_priority: Mapped[int | None]
    queued_at: Mapped[datetime | None]
    agent_interface: Mapped[str | None] = mapped_column(String(64), index=True)
    agent_called_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    hold_seconds: Mapped[int | None]
    ring_seconds: Mapped[int | None]
    talk_seconds: Mapped[int | None]

    ended_at: Mapped[datetime | None]
    hangup_cause: Mapped[int | None]
    outcome: Mapped[str] = mapped_column(String(24), default="in_ivr", index=True)
    # As Asterisk sees it (inside its root); the CRM maps it to a host path to play it.
    recording_path: Mapped[str | None] = mapped_column(String(512))
    # Asterisk was to record the call but no file came of it (the ticket and the wallboard say so).
    recording_failed: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When the retention purge deleted the recording (PIPL); recording_path is None from then.
    recording_purged_at: Mapped[datetime | None]
    # The caller left a message after the longest wait (the recording's "-message" file, and
    # the end of the call's own recording).
    voice_message: Mapped[bool] = mapped_column(default=False, server_default=false())

    ticket: Mapped[Ticket | None] = relationship(back_populates="call", uselist=False)


class Ticket(Base):
    """A 定单: every call gets one before it is routed, answered or not."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_caller_created", "caller_number", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), unique=True)
    caller_number: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    call_type: Mapped[CallType | None] = mapped_column(str_enum(CallType))
    status: Mapped[TicketStatus] = mapped_column(
        str_enum(TicketStatus), default=TicketStatus.REGISTERED
    )
    # The caller's most recent earlier ticket, so a repeat call shows its history at once.
    previous_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    callback_needed: Mapped[bool] = mapped_column(default=False, index=True)
    callback_done_at: Mapped[datetime | None]
    content: Mapped[str | None] = mapped_column(Text)
    handling_note: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime | None]

    call: Mapped[Call | None] = relationship(back_populates="ticket")
    previous_ticket: Mapped[Ticket | None] = relationship(remote_side=[id])


class TicketCounter(Base):
    """The last ticket number given out on each local day (20261128-0001, -0002, …)."""

    __tablename__ = "ticket_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class IngestedEvent(Base):
    """Events already applied, by id: a replay from the FastAGI outbox changes nothing."""

    __tablename__ = "ingested_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """Something a person must see now: an emergency for the hotline leader, an overdue order."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    audience: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]


class AgentState(Base):
    """An agent's sign-in to the queues; the CRM, not a file, owns queue membership."""

    __tablename__ = "agent_states"

    extension: Mapped[str] = mapped_column(String(32), primary_key=True)
    queues: Mapped[list[str]] = mapped_column(JSON, default=list)
    paused: Mapped[bool] = mapped_column(default=False)
    pause_reason: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CallbackAttempt(Base):
    """One call-back (回拨) of a ticket's caller: who called, when, and how it ended. The ticket
    leaves the call-back list only when the citizen answered one."""

    __tablename__ = "callback_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_extension: Mapped[str] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    # Asterisk's DIALSTATUS for the citizen's leg (ANSWER, NOANSWER, BUSY, …), AGENT_NOANSWER
    # when the agent's own phone was not answered, "calling" until one of those is known.
    status: Mapped[str] = mapped_column(String(16), default="calling")
    talk_seconds: Mapped[int | None]
    # As Asterisk sees it, like Call.recording_path.
    recording_path: Mapped[str | None] = mapped_column(String(512))
