"""Ticket numbers (定单号) like 20261128-0001, per China-local day.

The call path numbers the tickets it creates at call time; the rules need the same numbering when
a repeat call re-dispatches an order as a new one. One counter row per day, locked for update on
PostgreSQL (SQLite serialises writers anyway).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.domain.workcalendar import to_china
from crm.models.calls import TicketCounter


def next_ticket_number(session: Session, now: datetime) -> str:
    day = to_china(now).strftime("%Y%m%d")
    counter = session.scalar(
        select(TicketCounter).where(TicketCounter.day == day).with_for_update()
    )
    if counter is None:
        counter = TicketCounter(day=day, last=0)
        session.add(counter)
    counter.last += 1
    session.flush()
    return f"{day}-{counter.last:04d}"
