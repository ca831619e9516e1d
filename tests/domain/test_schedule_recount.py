"""When the year's schedule arrives, the open orders counted on the law alone are counted again:
their deadlines move where the notice moves a day, they lose the provisional mark, the unit's
work order follows, and each change is in the audit log. Withdrawn, they are provisional again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmodel.calltypes import CallType
from crm.domain import messages as msg
from crm.domain.workcalendar import CHINA_TZ, parse_schedule, use_site_schedule
from crm.models.workorders import AuditEntry, TicketDetail, WorkOrder
from crm.orders import services as orders
from crm.orders.schedule import recount_open_orders
from crm.orders.services import RegistrationForm
from tests.helpers import AGENT, LEADER, new_ticket, seed, unit
from tests.support.schedules import SITE_2027

CALLED = datetime(2027, 2, 19, 10, 0, tzinfo=CHINA_TZ)  # a Friday, the day before 调休 Saturday
BY_LAW = datetime(2027, 2, 25, 10, 0, tzinfo=CHINA_TZ)  # Mon 22 – Thu 25 Feb
BY_NOTICE = datetime(2027, 2, 24, 10, 0, tzinfo=CHINA_TZ)  # Sat 20, Mon 22 – Wed 24 Feb


@pytest.fixture
def db(session: Session) -> Iterator[Session]:
    use_site_schedule({})
    seed(session)
    yield session
    use_site_schedule({})


def complaint(db: Session, number: str = "13800000021") -> int:
    ticket = new_ticket(db, number, CALLED)
    form = RegistrationForm(CallType.COMPLAINT, "窗口推诿", contact_number=number, target="窗口")
    orders.register_ticket(db, ticket.id, form, AGENT)
    return ticket.id


def detail(db: Session, ticket_id: int) -> TicketDetail:
    found = db.get(TicketDetail, ticket_id)
    assert found is not None
    db.refresh(found)
    return found


@pytest.mark.parametrize(
    ("call_type", "provisional", "told"),
    [
        (CallType.COMPLAINT, True, msg.REPLY_DEADLINE_PROVISIONAL.format(due="2月25日10:00")),
        (CallType.HELP, False, msg.REPLY_DEADLINE.format(due="2月20日10:00")),  # 24 clock hours
    ],
)
def test_the_caller_is_told_the_date_as_expected_only_when_provisional(
    db: Session, call_type: CallType, provisional: bool, told: str
) -> None:
    ticket = new_ticket(db, "13800000022", CALLED)
    form = RegistrationForm(call_type, "问题", contact_number="13800000022", target="窗口")
    d = orders.register_ticket(db, ticket.id, form, AGENT)
    assert d.deadlines_provisional is provisional
    assert d.tell_caller[-1] == told
    assert ("预计" in told) is provisional


def test_the_schedule_arrives_the_order_moves_and_is_no_longer_provisional(db: Session) -> None:
    ticket_id = complaint(db)
    orders.dispatch(db, ticket_id, unit(db, "city-water").id, LEADER, now=CALLED)
    before = detail(db, ticket_id)
    assert (before.reply_due, before.deadlines_provisional) == (BY_LAW, True)
    help_id = new_ticket(db, "13800000023", CALLED).id  # clock hours: nothing to recount
    orders.register_ticket(
        db, help_id, RegistrationForm(CallType.HELP, "漏水", contact_number="13800000023"), AGENT
    )

    use_site_schedule(parse_schedule(SITE_2027))
    recounted = recount_open_orders(db, "admin1")
    assert [(r.ticket_id, r.reply_due, r.provisional) for r in recounted] == [
        (ticket_id, BY_NOTICE, False)
    ]
    after = detail(db, ticket_id)
    assert (after.reply_due, after.deadlines_provisional) == (BY_NOTICE, False)
    work_order = db.scalars(select(WorkOrder).where(WorkOrder.ticket_id == ticket_id)).one()
    assert work_order.feedback_due == after.unit_feedback_due
    entry = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "recount_deadlines", AuditEntry.entity_id == str(ticket_id)
        )
    ).one()
    assert entry.actor == "admin1"
    assert entry.detail["provisional_before"] is True and entry.detail["provisional"] is False
    assert recount_open_orders(db, "admin1") == []  # counted once: a second pass changes nothing

    use_site_schedule({})  # rolled back: counted by the law again
    assert [r.provisional for r in recount_open_orders(db, "admin1")] == [True]
    assert detail(db, ticket_id).reply_due == BY_LAW


def test_a_closed_order_keeps_its_record(db: Session) -> None:
    ticket = new_ticket(db, "13800000024", CALLED)
    # No target: not forwardable, closed at once (docs/hotline-rules.md, Complaint 投诉).
    form = RegistrationForm(CallType.COMPLAINT, "窗口推诿", contact_number="13800000024")
    orders.register_ticket(db, ticket.id, form, AGENT)
    ticket_id = ticket.id
    assert ticket.status not in {"registered", "dispatched", "replied"}
    use_site_schedule(parse_schedule(SITE_2027))
    assert recount_open_orders(db, "admin1") == []
    assert detail(db, ticket_id).deadlines_provisional
