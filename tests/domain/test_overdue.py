"""The overdue scan and its scheduler, on a frozen clock across National Day 2026."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callmodel.calltypes import CallType, TicketStatus
from crm.models.calls import Alert, Ticket
from crm.models.workorders import TicketDetail
from crm.orders import services as orders
from crm.orders.overdue import OverdueEvent, OverdueScheduler, scan
from crm.orders.services import RegistrationForm
from tests.helpers import AGENT, LEADER, cn, new_ticket, seed, unit


@pytest.fixture
def db(session: Session) -> Session:
    seed(session)
    return session


def _complaint(db: Session) -> int:
    t = new_ticket(db, "13800000020", cn(9, 30, 10))
    form = RegistrationForm(
        CallType.COMPLAINT, "窗口推诿", contact_number="13800000020", target="窗口工作人员"
    )
    orders.register_ticket(db, t.id, form, AGENT)
    orders.dispatch(db, t.id, unit(db, "city-housing").id, LEADER, now=cn(9, 30, 11))
    return t.id


@pytest.mark.parametrize(
    ("now", "stages"),
    [
        (cn(10, 7, 23), []),  # National Day: not a minute of working time has passed
        (cn(10, 12, 8, 1), ["unit_feedback"]),  # 3 working days 22 h (Oct 10 worked)
        (cn(10, 12, 10, 1), ["reply", "unit_feedback"]),  # 4 working days
    ],
)
def test_complaint_overdue_across_national_day(
    db: Session, now: datetime, stages: list[str]
) -> None:
    tid = _complaint(db)
    events = scan(db, now)
    assert sorted(e.stage for e in events) == stages
    assert sorted(db.get(TicketDetail, tid).overdue) == stages  # type: ignore[union-attr]
    alerts = db.scalars(select(Alert).where(Alert.kind == "overdue")).all()
    assert {a.audience for a in alerts} <= {"shift_leader"} and len(alerts) == len(stages)


def test_each_stage_is_flagged_once(db: Session) -> None:
    _complaint(db)
    assert len(scan(db, cn(10, 12, 11))) == 2
    assert scan(db, cn(10, 13, 11)) == []


def test_unanswered_suggestion_is_archived_after_24_hours(db: Session) -> None:
    t = new_ticket(db, "13800000021", cn(9, 30, 10))
    orders.register_ticket(db, t.id, RegistrationForm(CallType.SUGGESTION, "增设公交站"), AGENT)
    orders.dispatch(db, t.id, unit(db, "city-urban").id, LEADER, now=cn(9, 30, 11))
    assert scan(db, cn(10, 1, 9, 59)) == []
    events = scan(db, cn(10, 1, 10))
    assert [e.stage for e in events] == ["auto_archived"]
    assert db.get(Ticket, t.id).status == TicketStatus.ARCHIVED  # type: ignore[union-attr]


def test_suggestion_with_requested_reply_is_not_archived(db: Session) -> None:
    t = new_ticket(db, "13800000022", cn(9, 30, 10))
    form = RegistrationForm(CallType.SUGGESTION, "增设公交站", reply_requested=True)
    orders.register_ticket(db, t.id, form, AGENT)
    orders.dispatch(db, t.id, unit(db, "city-urban").id, LEADER, now=cn(9, 30, 11))
    events = scan(db, cn(10, 2, 11))
    assert sorted(e.stage for e in events) == ["reply", "unit_feedback"]
    assert db.get(Ticket, t.id).status == TicketStatus.DISPATCHED  # type: ignore[union-attr]


async def test_scheduler_emits_events(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        seed(s)
        _complaint(s)
        s.commit()
    seen: list[OverdueEvent] = []

    async def sink(event: OverdueEvent) -> None:
        seen.append(event)

    scheduler = OverdueScheduler(
        session_factory, interval=0.01, clock=lambda: cn(10, 12, 11), on_event=sink
    )
    scheduler.start()
    for _ in range(200):
        if len(seen) >= 2:
            break
        await asyncio.sleep(0.01)
    await scheduler.stop()
    assert sorted(e.stage for e in seen) == ["reply", "unit_feedback"]
    assert await scheduler.run_once() == []  # already flagged, persisted


def test_overdue_report_alerts_the_hotline_leader_not_the_shift_leader(db: Session) -> None:
    from tests.helpers import HOTLINE_LEADER

    t = new_ticket(db, "13800000023", cn(9, 30, 10))
    form = RegistrationForm(CallType.REPORT, "违规", contact_number="13800000023", target="某所长")
    orders.register_ticket(db, t.id, form, AGENT)
    orders.dispatch(db, t.id, unit(db, "city-efficiency").id, HOTLINE_LEADER, now=cn(9, 30, 11))
    assert [e.stage for e in scan(db, cn(10, 21))] == ["reply"]  # 10 working days: Oct 20
    overdue = db.scalars(select(Alert).where(Alert.kind == "overdue")).all()
    assert [a.audience for a in overdue] == ["hotline_leader"]


@pytest.mark.parametrize(
    ("now", "stages"),
    [
        (cn(9, 30, 14), []),
        (cn(9, 30, 14, 1), ["front_desk"]),  # front-desk handling 4 h
    ],
)
def test_a_consultation_left_at_the_front_desk_is_flagged(
    db: Session, now: datetime, stages: list[str]
) -> None:
    t = new_ticket(db, "13800000030", cn(9, 30, 10))
    orders.register_ticket(db, t.id, RegistrationForm(CallType.CONSULTATION, "落户政策"), AGENT)
    assert sorted(e.stage for e in scan(db, now)) == stages
    messages = [a.message for a in db.scalars(select(Alert).where(Alert.kind == "overdue"))]
    assert all("前台办理已超时" in m for m in messages) and len(messages) == len(stages)
