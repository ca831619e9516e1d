"""The consoles' work-order routes without a telephone: register (the rules per type),
simple order, the reviewer's record of the unit's answer, re-dispatch, roles and redaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crm import db
from crm.accounts.services import set_account
from crm.app import create_app
from crm.directory.services import seed_all
from crm.domain.access import Role
from crm.models import Ticket
from crm.models.workorders import Unit
from hotline.settings import load_settings
from tests.web.sessions import PASSWORD, as_user

NUMBER = "13912345678"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("HOTLINE_CONFIG", str(tmp_path / "none.yaml"))
    application = create_app(load_settings(var_dir=tmp_path), connect_ami=False)
    with TestClient(application) as client:
        with db.transaction(application.state.sessions) as session:
            seed_all(session)
            set_account(session, "agent1", PASSWORD, [Role.AGENT], extension="8001")
            set_account(session, "leader1", PASSWORD, [Role.SHIFT_LEADER, Role.REVIEWER])
            set_account(session, "admin1", PASSWORD, [Role.ADMIN])
            session.add(
                Ticket(number="20261128-0009", caller_number=NUMBER, created_at=datetime.now(UTC))
            )
        yield client


def ids(client: TestClient) -> tuple[int, int]:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        ticket = session.scalars(select(Ticket).where(Ticket.number == "20261128-0009")).one()
        unit = session.scalars(select(Unit).where(Unit.is_member.is_(True))).first()
        return ticket.id, unit.id


def test_simple_order_from_registration_to_the_units_answer(app: TestClient):
    ticket_id, unit_id = ids(app)
    as_user(app, "agent1")
    form = {
        "call_type": "complaint",
        "question": "窗口工作人员推诿",
        "action": "dispatch",
        "body_unit_id": unit_id,
        "target": "某区政务服务中心",
        "contact_number": NUMBER,
    }
    registered = app.post(f"/web/api/tickets/{ticket_id}/register", json=form).json()
    assert registered["status"] == "registered" and not registered["dispatched"]
    assert registered["outcome"] == "已登记，待值班长派单"  # an agent's order goes to the leader

    assert app.get("/web/api/leader/orders").status_code == 403  # agents do not dispatch
    as_user(app, "leader1")
    queue = app.get("/web/api/leader/orders?view=dispatch").json()
    assert [o["number"] for o in queue] == ["20261128-0009"] and queue[0]["caller_number"] == NUMBER
    done = app.post(
        f"/web/api/leader/orders/{ticket_id}/dispatch",
        json={"unit_id": unit_id, "simple_reason": "急办，知识库无答案"},
    )
    assert done.json()["kind"] == "simple"
    simple = app.get("/web/api/leader/orders?view=simple").json()
    assert simple[0]["simple"] and simple[0]["status"] == "dispatched"
    reply = app.post(
        f"/web/api/leader/orders/{ticket_id}/reply",
        json={"content": "已联系，明日上门", "answered_by": "王科长"},
    )
    assert reply.status_code == 200 and reply.json()["status"] == "replied"
    refused = app.post(f"/web/api/leader/orders/{ticket_id}/redispatch", json={"reason": ""})
    assert refused.status_code == 422  # a reason is required
    again = app.post(
        f"/web/api/leader/orders/{ticket_id}/redispatch", json={"reason": "来电人对结果不满意"}
    ).json()
    assert again["number"] != "20261128-0009"


def test_admin_sees_masked_numbers_and_cannot_dispatch(app: TestClient):
    ticket_id, unit_id = ids(app)
    as_user(app, "admin1")
    assert app.get("/web/api/leader/orders").status_code == 403
    assert (
        app.post(
            f"/web/api/leader/orders/{ticket_id}/dispatch", json={"unit_id": unit_id}
        ).status_code
        == 403
    )
    users = app.get("/web/api/admin/users").json()
    assert {u["username"] for u in users} >= {"agent1", "leader1", "admin1"}
    made = app.post(
        "/web/api/admin/users",
        json={
            "username": "qc9",
            "display_name": "质检九",
            "password": PASSWORD,
            "roles": ["supervisor"],
        },
    )
    assert made.status_code == 200
    as_user(app, "qc9")
    assert app.get("/web/supervisor").status_code == 200
