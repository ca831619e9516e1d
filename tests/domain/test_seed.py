"""Seeding the directories from config/ is complete, idempotent and keeps admins' edits."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.directory.services import seed_all
from crm.models.knowledge import KbArticle, SpecialLineEntry
from crm.models.workorders import StaffUser, Unit
from crm.orders.overdue import OverdueEvent, notifier_sink
from tests.helpers import cn


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_seed_is_idempotent_and_keeps_edits(session: Session) -> None:
    first = seed_all(session, agents=[("8001", "话务员一")])
    assert first["special_lines"] == 15 and first["units"] >= 10 and first["kb_articles"] >= 8
    assert first["staff"] == 2
    unit = session.scalars(select(Unit).where(Unit.code == "city-water")).one()
    unit.contact_person = "新联络人"
    session.flush()
    again = seed_all(session, agents=[("8001", "话务员一")])
    assert set(again.values()) == {0}
    assert unit.contact_person == "新联络人"
    district = session.scalars(select(Unit).where(Unit.code == "xc-housing")).one()
    city = session.scalars(select(Unit).where(Unit.code == "city-housing")).one()
    assert district.supervisor_id == city.id
    agent = session.scalars(select(StaffUser).where(StaffUser.username == "8001")).one()
    assert agent.roles == ["agent"]
    assert (
        count(session, SpecialLineEntry) == 15 and count(session, KbArticle) == first["kb_articles"]
    )


def test_notifier_sink_publishes_typed_events() -> None:
    published: list[object] = []

    class Fake:
        def publish(self, message: object) -> None:
            published.append(message)

    from callmodel.calltypes import CallType

    event = OverdueEvent(7, "20260930-0007", CallType.HELP, "reply", cn(10, 1, 10))
    notifier_sink(Fake())(event)
    assert published == [OverdueEvent(7, "20260930-0007", CallType.HELP, "reply", cn(10, 1, 10))]
    assert published[0].due.isoformat() == "2026-10-01T10:00:00+08:00"
