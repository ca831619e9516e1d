"""The 成员单位 and 回访 console routes without a browser: who may open each, a unit's own
orders only, and a return visit's three outcomes (archived, still waiting, reopened)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from callmodel.calltypes import CallType, TicketStatus
from crm import db
from crm.accounts.services import set_account
from crm.directory.services import seed_all
from crm.domain.access import Role, Viewer
from crm.models import Ticket
from crm.models.workorders import ReturnVisit, Unit
from crm.orders import services as orders
from crm.orders.visibility import NOT_YOUR_UNIT
from hotline.settings import load_settings
from tests.helpers import new_ticket
from tests.web.sessions import PASSWORD
from tests.web.sessions import as_user as sign_in

OURS = {"Origin": "http://testserver"}
LEADER = Viewer("leader1", frozenset({Role.SHIFT_LEADER}))
AGENT = Viewer("agent1", frozenset({Role.AGENT}))


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from crm.app import create_app

    monkeypatch.setenv("HOTLINE_CONFIG", str(tmp_path / "none.yaml"))
    application = create_app(load_settings(var_dir=tmp_path), connect_ami=False)
    with TestClient(application, headers=OURS) as client:
        with db.transaction(application.state.sessions) as session:
            seed_all(session)
            set_account(session, "agent1", PASSWORD, [Role.AGENT], extension="8001")
            set_account(session, "leader1", PASSWORD, [Role.SHIFT_LEADER])
            set_account(session, "rev1", PASSWORD, [Role.REVIEWER])
            set_account(session, "admin1", PASSWORD, [Role.ADMIN])
            for name, unit in (("water", "市自来水公司"), ("housing", "市住房和城乡建设局")):
                user = set_account(session, name, PASSWORD, [Role.UNIT])
                user.unit_id = session.scalar(select(Unit.id).where(Unit.name == unit))
        yield client


def order_for(client: TestClient, unit: str, *, replied: bool = False) -> int:
    with db.transaction(client.app.state.sessions) as session:  # type: ignore[attr-defined]
        ticket = new_ticket(session, "13900001234", datetime.now(UTC))
        form = orders.RegistrationForm(
            CallType.HELP, "水管爆裂", contact_number="13900001234", location="新城区"
        )
        orders.register_ticket(session, ticket.id, form, AGENT)
        unit_id = session.scalar(select(Unit.id).where(Unit.name == unit))
        orders.dispatch(session, ticket.id, unit_id, LEADER)
        if replied:
            viewer = Viewer("water", frozenset({Role.UNIT}), unit_id)
            orders.record_unit_reply(session, ticket.id, "已抢修", viewer)
            orders.answer_caller(session, ticket.id, "已抢修", LEADER)
        return ticket.id


def status(client: TestClient, ticket_id: int) -> str:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return str(session.get(Ticket, ticket_id).status)


@pytest.mark.parametrize(
    ("username", "unit_page", "visits_page"),
    [("water", 200, 403), ("agent1", 403, 200), ("leader1", 403, 200), ("rev1", 403, 200)],
)
def test_who_opens_each_console(app: TestClient, username: str, unit_page: int, visits_page: int):
    sign_in(app, username)
    assert app.get("/web/unit").status_code == unit_page
    assert app.get("/web/visits").status_code == visits_page
    page = app.get("/web/", follow_redirects=True)
    assert ("成员单位" in page.text) is (unit_page == 200)


def test_a_unit_sees_and_replies_to_its_own_orders_only(app: TestClient):
    mine, theirs = order_for(app, "市自来水公司"), order_for(app, "市住房和城乡建设局")
    sign_in(app, "water")
    listed = [o["ticket_id"] for o in app.get("/web/api/unit/orders").json()]
    assert mine in listed and theirs not in listed
    refused = app.get(f"/web/api/unit/orders/{theirs}")
    assert refused.status_code == 403 and refused.json()["error"] == NOT_YOUR_UNIT
    assert (
        app.post(f"/web/api/unit/orders/{theirs}/reply", json={"content": "x"}).status_code == 403
    )
    with db.transaction(app.app.state.sessions) as session:  # type: ignore[attr-defined]
        bare = new_ticket(session, "13900009999", datetime.now(UTC)).id  # not registered yet
    unregistered = app.get(f"/web/api/unit/orders/{bare}")
    assert unregistered.status_code == 403 and unregistered.json()["error"] == NOT_YOUR_UNIT
    bad = app.post(f"/web/api/unit/orders/{mine}/reply", json={"content": ""})
    assert bad.status_code == 422 and bad.json()["error"]
    assert (
        app.post(f"/web/api/unit/orders/{mine}/reply", json={"content": "已修复"}).json()["status"]
        == TicketStatus.REPLIED.value
    )
    assert mine not in [o["ticket_id"] for o in app.get("/web/api/unit/orders").json()]


def test_the_three_outcomes_of_a_return_visit(app: TestClient):
    happy, away, unhappy = (order_for(app, "市自来水公司", replied=True) for _ in range(3))
    sign_in(app, "leader1")
    queued = [o["ticket_id"] for o in app.get("/web/api/visits?view=visit").json()]
    assert {happy, away, unhappy} <= set(queued)
    no_level = app.post(f"/web/api/visits/{happy}/visit", json={"reached": True})
    assert no_level.status_code == 409 and "满意" in no_level.json()["error"]
    app.post(
        f"/web/api/visits/{happy}/visit", json={"reached": True, "level": "basically_satisfied"}
    )
    assert status(app, happy) == TicketStatus.ARCHIVED.value
    left = app.post(f"/web/api/visits/{away}/visit", json={"reached": False}).json()
    assert left["reached"] is False and status(app, away) == TicketStatus.CALLER_ANSWERED.value
    again = app.post(
        f"/web/api/visits/{unhappy}/visit", json={"reached": True, "level": "not_satisfied"}
    )
    assert again.status_code == 200, again.text
    assert again.json()["reopened_number"]
    assert status(app, again.json()["reopened_id"]) == TicketStatus.DISPATCHED.value
    with app.app.state.sessions() as session:  # type: ignore[attr-defined]
        scores = {v.ticket_id: v.satisfaction for v in session.scalars(select(ReturnVisit))}
    assert scores[happy] == 4 and scores[unhappy] == 1 and away not in scores


def test_an_admin_ties_a_unit_account_to_its_unit(app: TestClient):
    mine = order_for(app, "市自来水公司")
    with app.app.state.sessions() as session:  # type: ignore[attr-defined]
        water = session.scalar(select(Unit.id).where(Unit.name == "市自来水公司"))
    sign_in(app, "admin1")
    account = {"username": "water2", "display_name": "水司经办", "password": PASSWORD}
    for roles, unit in ((["unit"], None), (["agent"], water), (["unit"], 999999)):
        refused = app.post(
            "/web/api/admin/users", json={**account, "roles": roles, "unit_id": unit}
        )
        assert refused.status_code == 422 and refused.json()["error"]
    made = app.post("/web/api/admin/users", json={**account, "roles": ["unit"], "unit_id": water})
    assert made.status_code == 200, made.text
    sign_in(app, "water2")
    assert mine in [o["ticket_id"] for o in app.get("/web/api/unit/orders").json()]
