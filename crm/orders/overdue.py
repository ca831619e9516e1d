"""Overdue work: mark late stages, raise an event for the shift leader, auto-archive suggestions.

``scan`` is one pass over the open tickets; ``OverdueScheduler`` runs it every ``interval``
seconds as an asyncio task. Each late stage is flagged once (``TicketDetail.overdue``) and
written as an ``Alert`` row for the shift leader, so the event reaches every CRM worker through
the database, not through this process's memory; ``on_event`` lets the running app push it to
browsers as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callmodel.calltypes import CallType, TicketStatus
from crm import audit
from crm.domain.access import Role, Viewer
from crm.domain.deadlines import archive_is_due, overdue_stages
from crm.domain.lifecycle import OPEN_STATUSES
from crm.models.calls import Alert, Ticket
from crm.models.workorders import TicketDetail
from crm.orders.services import auto_archive, deadlines_of

log = logging.getLogger(__name__)

SCHEDULER = Viewer("scheduler", frozenset({Role.SHIFT_LEADER}))
STAGE_LABELS = {
    "front_desk": "前台办理",
    "dispatch": "派单",
    "unit_feedback": "单位反馈",
    "reply": "答复来电人",
}


@dataclass(frozen=True)
class OverdueEvent:
    ticket_id: int
    number: str
    call_type: CallType
    stage: str  # front_desk | dispatch | unit_feedback | reply | auto_archived
    due: datetime | None


def scan(session: Session, now: datetime) -> list[OverdueEvent]:
    """Flag newly late stages and auto-archive unanswered suggestions/praise; return the events."""
    events: list[OverdueEvent] = []
    rows = session.execute(
        select(Ticket, TicketDetail)
        .join(TicketDetail, TicketDetail.ticket_id == Ticket.id)
        .where(Ticket.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(Ticket.id)
    ).all()
    for ticket, detail in rows:
        status = TicketStatus(ticket.status)
        deadlines = deadlines_of(detail)
        call_type = CallType(detail.call_type)
        if archive_is_due(deadlines, status, now):
            auto_archive(session, ticket.id, SCHEDULER, now=now)
            events.append(
                OverdueEvent(
                    ticket.id, ticket.number, call_type, "auto_archived", deadlines.archive_due
                )
            )
            continue
        new = [s for s in overdue_stages(deadlines, status, now) if s not in detail.overdue]
        if not new:
            continue
        detail.overdue = [*detail.overdue, *new]
        for stage in new:
            due = deadlines.items()[stage]
            session.add(
                Alert(
                    kind="overdue",
                    # Reports stay with those who may read them (保密).
                    audience=(
                        Role.HOTLINE_LEADER.value
                        if call_type is CallType.REPORT
                        else Role.SHIFT_LEADER.value
                    ),
                    ticket_id=ticket.id,
                    message=f"定单{ticket.number}（{call_type.label}）{STAGE_LABELS[stage]}已超时。",
                    data={"stage": stage, "due": due.isoformat()},
                )
            )
            audit.record(session, SCHEDULER.username, "overdue", "ticket", ticket.id, stage=stage)
            events.append(OverdueEvent(ticket.id, ticket.number, call_type, stage, due))
    session.flush()
    return events


EventSink = Callable[[OverdueEvent], Awaitable[None] | None]


class Publisher(Protocol):
    def publish(self, message: object) -> None: ...


def notifier_sink(notifier: Publisher) -> EventSink:
    """Forward overdue events, typed, to the CRM's ``Notifier`` (the wallboards redraw)."""

    def sink(event: OverdueEvent) -> None:
        notifier.publish(event)

    return sink


class OverdueScheduler:
    """Runs ``scan`` periodically in a worker thread; start it in the app's lifespan."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        interval: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_event: EventSink | None = None,
    ) -> None:
        self.factory = factory
        self.interval = interval
        self.clock = clock
        self.on_event = on_event
        self._task: asyncio.Task[None] | None = None

    def _scan_in_transaction(self) -> list[OverdueEvent]:
        with self.factory() as session, session.begin():
            return scan(session, self.clock())

    async def run_once(self) -> list[OverdueEvent]:
        events = await asyncio.to_thread(self._scan_in_transaction)
        for event in events:
            if self.on_event is not None:
                result = self.on_event(event)
                if isinstance(result, Awaitable):
                    await result
        return events

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # keep the scheduler alive; the next pass retries
                log.exception("overdue scan failed")
            await asyncio.sleep(self.interval)

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="overdue-scheduler")
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
