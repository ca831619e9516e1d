"""Small builders shared by the work-order service and API tests."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmodel.calltypes import TicketStatus
from crm.directory.services import ensure_user, seed_all
from crm.domain.access import Role, Viewer
from crm.domain.workcalendar import CHINA_TZ
from crm.models.calls import Call, Ticket
from crm.models.workorders import Unit

AGENT = Viewer("agent1", frozenset({Role.AGENT}))
LEADER = Viewer("shift1", frozenset({Role.SHIFT_LEADER}))
REVIEWER = Viewer("li", frozenset({Role.REVIEWER}))
HOTLINE_LEADER = Viewer("boss", frozenset({Role.HOTLINE_LEADER}))

_seq = itertools.count(1)


class Clock:
    """A frozen clock the tests move by hand (``app.state.clock``)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def cn(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHINA_TZ)


# The staff ``seed`` creates, by username.
SEEDED = ("agent1", "shift1", "li", "zhao", "boss", "admin", "water")


def seed(session: Session) -> None:
    seed_all(session)
    ensure_user(session, "agent1", "话务员一", [Role.AGENT])
    ensure_user(session, "shift1", "值班长甲", [Role.SHIFT_LEADER])
    ensure_user(session, "li", "审核员李", [Role.REVIEWER])
    ensure_user(session, "zhao", "审核员赵", [Role.REVIEWER])
    ensure_user(session, "boss", "热线负责人", [Role.HOTLINE_LEADER])
    ensure_user(session, "admin", "管理员", [Role.ADMIN])
    water = unit(session, "city-water")
    ensure_user(session, "water", "自来水公司联络员", [Role.UNIT], unit_id=water.id)
    session.commit()


def unit(session: Session, code: str) -> Unit:
    found = session.scalar(select(Unit).where(Unit.code == code))
    assert found is not None, code
    return found


def new_ticket(session: Session, caller: str, at: datetime) -> Ticket:
    """What the call path does at call time: a Call and its Ticket."""
    n = next(_seq)
    call = Call(uniqueid=f"1764300000.{n}", caller_number=caller, started_at=at)
    session.add(call)
    session.flush()
    ticket = Ticket(
        number=f"{at:%Y%m%d}-{n:04d}",
        call_id=call.id,
        caller_number=caller,
        created_at=at,
        status=TicketStatus.REGISTERED,
    )
    session.add(ticket)
    session.flush()
    return ticket
