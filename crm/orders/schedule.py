"""The site's holiday schedule in force, and open orders kept in step with it.

An operator enters the State Council's notice (法定节假日 and 调休) in 系统管理 the day it is
published (docs/hotline-rules.md, "Call types and their limits": working days follow the
official calendar, adjusted weekends included). From then on the working days of that year are
the notice's, so the orders registered while the year was counted by the law alone — their
deadlines marked provisional (预计) — must be counted again: their due times move where the
notice moves a day, and they stop being provisional. The same holds the other way round: a
rollback that removes a year makes the orders counted on it provisional again.

This module reads and applies the file; it never writes it (the admin console's document
editor does, with its versions: crm/dialplan_editor/http.py) and never commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import audit
from crm.domain.deadlines import Deadlines
from crm.domain.lifecycle import OPEN_STATUSES
from crm.domain.moments import iso
from crm.domain.workcalendar import (
    ScheduleError,
    YearSchedule,
    parse_schedule,
    use_site_schedule,
)
from crm.models.calls import Ticket
from crm.models.workorders import TicketDetail, WorkOrder
from crm.orders.tickets import deadlines_of
from hotline.settings import CONFIG_DIR, Settings

log = logging.getLogger(__name__)

SHIPPED_HOLIDAYS = CONFIG_DIR / "holidays.yaml"


def holidays_file(settings: Settings) -> Path:
    """Where the site keeps its schedule: with the hotline's state, never in the code's folder
    that an upgrade replaces."""
    return settings.site_holidays_file


def shipped_text() -> str:
    """The file that comes with the software: how to write one, and no year."""
    return SHIPPED_HOLIDAYS.read_text(encoding="utf-8")


def current_text(settings: Settings) -> str:
    path = holidays_file(settings)
    return path.read_text(encoding="utf-8") if path.exists() else shipped_text()


def apply_text(text: str) -> dict[int, YearSchedule]:
    """Check ``text`` and put it in force in this process; ``ScheduleError`` (naming the line
    and the date) leaves the schedule in force as it was."""
    schedules = parse_schedule(text)
    use_site_schedule(schedules)
    return schedules


def load_at_start(settings: Settings) -> dict[int, YearSchedule]:
    """The site's schedule at CRM start. A file made unreadable by hand is logged and left
    out: the hotline keeps answering, counting those years by the package and the law (their
    deadlines provisional), rather than not starting at all."""
    try:
        return apply_text(current_text(settings))
    except ScheduleError as exc:
        where = f"第 {exc.line} 行：" if exc.line else ""
        log.error("节假日安排 %s 未生效：%s%s", holidays_file(settings), where, exc)
        use_site_schedule({})
        return {}


@dataclass(frozen=True)
class Recounted:
    """One open order whose stored deadlines changed with the schedule."""

    ticket_id: int
    number: str
    reply_due_before: datetime | None
    reply_due: datetime | None
    provisional: bool


def _changed(detail: TicketDetail, new: Deadlines) -> bool:
    stored = (detail.reply_due, detail.dispatch_due, detail.unit_feedback_due, detail.archive_due)
    fresh = (new.reply_due, new.dispatch_due, new.unit_feedback_due, new.archive_due)
    return stored != fresh or bool(detail.deadlines_provisional) != new.provisional


def recount_open_orders(session: Session, actor: str) -> list[Recounted]:
    """Count every open order's deadlines again on the schedule in force; store those that
    changed (the order's due times, its provisional mark, the unit's feedback due time of a work
    order not yet answered), each change in the audit log."""
    changed: list[Recounted] = []
    rows = session.execute(
        select(Ticket, TicketDetail)
        .join(TicketDetail, TicketDetail.ticket_id == Ticket.id)
        .where(Ticket.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(Ticket.id)
    )
    for ticket, detail in rows:
        new = deadlines_of(detail)
        if not _changed(detail, new):
            continue
        before, was_provisional = detail.reply_due, bool(detail.deadlines_provisional)
        detail.reply_due = new.reply_due
        detail.dispatch_due = new.dispatch_due
        detail.unit_feedback_due = new.unit_feedback_due
        detail.archive_due = new.archive_due
        detail.deadlines_provisional = new.provisional
        for order in session.scalars(
            select(WorkOrder).where(
                WorkOrder.ticket_id == ticket.id, WorkOrder.replied_at.is_(None)
            )
        ):
            order.feedback_due = new.unit_feedback_due
        audit.record(
            session,
            actor,
            "recount_deadlines",
            "ticket",
            ticket.id,
            reason="节假日安排变更",
            reply_due_before=iso(before),
            reply_due=iso(new.reply_due),
            provisional_before=was_provisional,
            provisional=new.provisional,
        )
        changed.append(Recounted(ticket.id, ticket.number, before, new.reply_due, new.provisional))
    session.flush()
    return changed
