"""Repeat repairs (重复报修): docs/hotline-rules.md, "Figures a supervisor is judged on"."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmodel.calltypes import CallType, TicketStatus
from crm.domain import messages as msg
from crm.domain.repairs import Repair, address_key, repeated_repair, repeats
from crm.models.calls import Alert
from crm.orders import services as orders
from crm.orders.services import RegistrationForm
from crm.reports.ledger import figures
from tests.helpers import AGENT, LEADER, cn, new_ticket, seed, unit

S = TicketStatus


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("新城区海拉尔东街12号", "新城区 海拉尔东街 12 号", True),
        ("新城区海拉尔东街１２号", "新城区海拉尔东街12号", True),  # full-width digits
        ("锡林南路三号楼二单元", "锡林南路3栋2单元", True),
        ("锡林南路3幢", "锡林南路3号楼", True),
        ("海拉尔东街12号。", "海拉尔东街12号", True),
        ("海拉尔东街12号", "海拉尔东街13号", False),
        ("海拉尔东街12号", "海拉尔西街12号", False),
        ("", "", True),
    ],
)
def test_address_key(one: str, other: str, same: bool) -> None:
    assert (address_key(one) == address_key(other)) is same


FIRST = Repair(
    number="20261101-0001",
    call_type=CallType.HELP,
    category="路灯",
    address="新城区海拉尔东街12号",
    called_at=cn(11, 1, 9),
    status=S.ARCHIVED,
    closed_at=cn(11, 3, 9),
)
AGAIN = Repair(
    number="20261110-0001",
    call_type=CallType.HELP,
    category="路灯",
    address="新城区 海拉尔东街 12 号",
    called_at=cn(11, 10, 9),
)


@pytest.mark.parametrize(
    ("prior", "new", "days", "expected"),
    [
        (FIRST, AGAIN, 30, True),
        (FIRST, AGAIN, 7, True),  # 7 days after the close, to the minute
        (FIRST, replace(AGAIN, called_at=cn(11, 10, 9, 1)), 7, False),
        (FIRST, replace(AGAIN, category="供水"), 30, False),  # another repair
        (FIRST, replace(AGAIN, address="新城区海拉尔东街14号"), 30, False),  # another place
        (FIRST, replace(AGAIN, address=""), 30, False),  # no place: nothing to compare
        (FIRST, replace(AGAIN, category=""), 30, False),
        (FIRST, replace(AGAIN, call_type=CallType.SUGGESTION), 30, False),
        (replace(FIRST, status=S.DISPATCHED, closed_at=None), AGAIN, 30, False),  # not fixed yet
        (replace(FIRST, status=S.CALLER_ANSWERED), AGAIN, 30, True),  # told it is fixed
        (replace(FIRST, status=S.VISITED), AGAIN, 30, True),
        (replace(FIRST, unresolved=True), AGAIN, 30, False),  # the visit said: not fixed
        (replace(FIRST, call_type=CallType.CONSULTATION), AGAIN, 30, False),
        (FIRST, replace(AGAIN, called_at=cn(11, 2, 9)), 30, False),  # before the close
        (FIRST, replace(AGAIN, number=FIRST.number), 30, False),  # itself
    ],
)
def test_repeat_repair_rule(prior: Repair, new: Repair, days: int, expected: bool) -> None:
    assert repeats(new, prior, days) is expected


def test_the_latest_repair_repeated_is_named() -> None:
    later = replace(FIRST, number="20261105-0001", closed_at=cn(11, 6, 9))
    assert repeated_repair(AGAIN, [FIRST, later], 30) == later
    assert repeated_repair(AGAIN, [], 30) is None


# The rule on real rows, on SQLite and on PostgreSQL.


@pytest.fixture
def db(session: Session) -> Session:
    seed(session)
    return session


def _fixed_and_closed(db: Session, caller: str, place: str, when: int) -> str:
    t = new_ticket(db, caller, cn(11, when, 9))
    form = RegistrationForm(
        CallType.HELP, "路灯不亮", contact_number=caller, location=place, repair_category="路灯"
    )
    orders.register_ticket(db, t.id, form, AGENT, now=cn(11, when, 9))
    orders.dispatch(db, t.id, unit(db, "city-water").id, LEADER, now=cn(11, when, 10))
    orders.record_unit_reply(db, t.id, "已修复", LEADER, now=cn(11, when, 16))
    orders.answer_caller(db, t.id, "已修复", LEADER, now=cn(11, when, 17))
    orders.return_visit(db, t.id, 5, True, AGENT, now=cn(11, when + 1, 9))
    orders.archive(db, t.id, LEADER, now=cn(11, when + 1, 10))
    db.flush()
    return t.number


def test_a_repeat_repair_asks_the_hotline_leader_for_a_visit_and_counts(db: Session) -> None:
    first = _fixed_and_closed(db, "13800000011", "新城区海拉尔东街12号", 2)
    # Another caller, the same lamp said another way, within the period.
    t = new_ticket(db, "0471-6250011", cn(11, 20, 9))
    form = RegistrationForm(
        CallType.HELP,
        "路灯又不亮了",
        contact_number="0471-6250011",
        location="新城区 海拉尔东街 12 号",
        repair_category="路灯",
    )
    d = orders.register_ticket(db, t.id, form, AGENT, now=cn(11, 20, 9), repeat_repair_days=30)
    db.commit()
    assert d.repeat_repair_of == first
    assert msg.REPEAT_REPAIR_NOTE.format(prior=first, days=30) in d.notes
    alerts = db.scalars(select(Alert).where(Alert.ticket_id == t.id)).all()
    assert [(a.kind, a.audience) for a in alerts] == [("leader_visit", "hotline_leader")]
    assert first in alerts[0].message and "领导回访" in alerts[0].message
    by_type = {
        r["key"]: r for r in figures(db, cn(11, 1).date(), cn(11, 30).date(), "type", cn(12, 1))
    }
    assert by_type["help"]["repeat_repair_rate"] == 0.5  # 1 of the 2 help requests


@pytest.mark.parametrize(
    ("days", "when", "category", "place", "repeat"),
    [
        (30, 20, "路灯", "新城区海拉尔东街12号", True),
        (10, 20, "路灯", "新城区海拉尔东街12号", False),  # outside the site's period
        (30, 20, "供水", "新城区海拉尔东街12号", False),
        (30, 20, "路灯", "新城区海拉尔东街18号", False),
        (30, 20, None, "新城区海拉尔东街12号", False),
    ],
)
def test_repeat_repairs_on_rows(
    db: Session, days: int, when: int, category: str | None, place: str, repeat: bool
) -> None:
    first = _fixed_and_closed(db, "13800000012", "新城区海拉尔东街12号", 2)
    t = new_ticket(db, "13800000013", cn(11, when, 9))
    form = RegistrationForm(
        CallType.HELP,
        "又坏了",
        contact_number="13800000013",
        location=place,
        repair_category=category,
    )
    d = orders.register_ticket(db, t.id, form, AGENT, now=cn(11, when, 9), repeat_repair_days=days)
    assert d.repeat_repair_of == (first if repeat else None)
    kinds = [a.kind for a in db.scalars(select(Alert).where(Alert.ticket_id == t.id))]
    assert ("leader_visit" in kinds) is repeat


def test_a_corrected_registration_does_not_alert_twice(db: Session) -> None:
    first = _fixed_and_closed(db, "13800000014", "新城区海拉尔东街12号", 2)
    t = new_ticket(db, "13800000015", cn(11, 20, 9))
    form = RegistrationForm(
        CallType.HELP,
        "路灯又坏了",
        contact_number="13800000015",
        location="新城区海拉尔东街12号",
        repair_category="路灯",
    )
    orders.register_ticket(db, t.id, form, AGENT, now=cn(11, 20, 9))
    d = orders.register_ticket(db, t.id, replace(form, question="路灯又坏了，已两周"), AGENT)
    assert d.repeat_repair_of == first
    kinds = [a.kind for a in db.scalars(select(Alert).where(Alert.ticket_id == t.id))]
    assert kinds == ["leader_visit"]
