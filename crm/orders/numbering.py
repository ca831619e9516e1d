"""Ticket numbers (定单号) like 20261128-0001, per China-local day.

The call path numbers the tickets it creates at call time (``crm.calls.services``); the rules need
the same numbering when a repeat call is re-dispatched as a new order created outside a call.
The same single atomic statement is used, so both share one counter per day on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from crm.domain.call_outcomes import ticket_number
from crm.domain.workcalendar import to_china


def next_ticket_number(session: Session, now: datetime) -> str:
    local = to_china(now).date()
    sequence = session.execute(
        text(
            "INSERT INTO ticket_counters (day, last) VALUES (:day, 1) "
            "ON CONFLICT (day) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last"
        ),
        {"day": f"{local:%Y%m%d}"},
    ).scalar_one()
    return ticket_number(local, int(sequence))
