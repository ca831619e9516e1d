"""The agent console's registration applies the rules as the API does, and says what they did;
the agent's current call is found again after a reload. On the real application, without a
telephone: call events are posted as the FastAGI server posts them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crm import db
from crm.accounts.services import set_account
from crm.app import create_app
from crm.directory.services import seed_all
from crm.domain.access import Role
from crm.models import Ticket
from crm.models.knowledge import KbArticle
from crm.models.workorders import TicketDetail, Unit
from hotline.settings import load_settings

PASSWORD = "correct horse battery"
SERVICE = "registration-test-service-token"
NUMBER = "13912345678"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("HOTLINE_CONFIG", str(tmp_path / "none.yaml"))
    settings = load_settings(var_dir=tmp_path).model_copy(update={"crm_ingest_token": SERVICE})
    application = create_app(settings, connect_ami=False)
    with TestClient(application, base_url="http://testserver") as client:
        with db.transaction(application.state.sessions) as session:
            seed_all(session)
            set_account(session, "agent1", PASSWORD, [Role.AGENT], extension="8001")
            set_account(session, "leader1", PASSWORD, [Role.SHIFT_LEADER], extension="8009")
        client.cookies.clear()
        signed = client.post(
            "/web/login", data={"username": "agent1", "password": PASSWORD}, follow_redirects=False
        )
        assert signed.status_code == 303
        yield client


def post_events(client: TestClient, uniqueid: str, *events: dict[str, Any]) -> None:
    at = datetime.now(UTC)
    batch = [
        {"event_id": f"{uniqueid}-{i}-{e['kind']}", "uniqueid": uniqueid,
         "occurred_at": (at + timedelta(milliseconds=i)).isoformat(), "caller_number": NUMBER, **e}
        for i, e in enumerate(events)
    ]  # fmt: skip
    posted = client.post(
        "/api/call-events", json={"events": batch}, headers={"Authorization": f"Bearer {SERVICE}"}
    )
    assert posted.status_code == 200, posted.text


def a_call(client: TestClient, uniqueid: str) -> int:
    post_events(client, uniqueid, {"kind": "call_started"})
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return session.scalars(select(Ticket.id).order_by(Ticket.id.desc())).first()


def register(client: TestClient, ticket_id: int, **form: Any) -> Any:
    response = client.post(
        f"/web/api/tickets/{ticket_id}/register",
        json=form,
        headers={"Origin": "http://testserver"},
    )
    return response


def unit(client: TestClient, name: str) -> int:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return session.scalars(select(Unit.id).where(Unit.name == name)).one()


def test_a_help_request_without_a_number_becomes_a_suggestion_with_its_script(app: TestClient):
    ticket = a_call(app, "r.1")
    done = register(app, ticket, call_type="help", question="路灯坏了", action="dispatch")
    assert done.status_code == 200, done.text
    out = done.json()
    assert (out["requested_type"], out["call_type"], out["retyped"]) == ("help", "suggestion", True)
    assert out["call_type_label"] == "意见建议"
    assert any("无法跟踪回复" in line for line in out["tell_caller"])
    assert out["outcome"] == "已登记，待值班长派单"


def test_the_console_records_a_repairs_category_for_the_repeat_repair_rule(app: TestClient):
    ticket = a_call(app, "r.9")
    done = register(
        app, ticket, call_type="help", question="路灯不亮", contact_number="13800138009",
        location="幸福小区3号楼", repair_category="路灯",
    )  # fmt: skip
    assert done.status_code == 200, done.text
    with app.app.state.sessions() as session:  # type: ignore[attr-defined]
        detail = session.scalars(select(TicketDetail).where(TicketDetail.ticket_id == ticket)).one()
    assert detail.repair_category == "路灯"


def test_a_complaint_without_a_target_or_against_a_bank_is_not_forwarded(app: TestClient):
    ticket = a_call(app, "r.2")
    bank = unit(app, "中国工商银行市分行")
    out = register(
        app, ticket, call_type="complaint", question="柜台态度差", target="柜员",
        contact_number=NUMBER, body_unit_id=bank,
    ).json()  # fmt: skip
    assert out["call_type"] == "invalid" and out["refer_number"] == "95588"
    assert out["status"] == "archived" and "无需派单" in out["outcome"]
    assert any("中国工商银行市分行" in note for note in out["notes"])

    ticket = a_call(app, "r.3")
    out = register(app, ticket, call_type="complaint", question="有人推诿", contact_number=NUMBER)
    out = out.json()
    assert out["call_type"] == "complaint" and not out["forwardable"]
    assert any("无法转办" in line for line in out["tell_caller"])


def test_a_consultation_answered_from_the_knowledge_base_promises_no_reply(app: TestClient):
    ticket = a_call(app, "r.4")
    with app.app.state.sessions() as session:  # type: ignore[attr-defined]
        article = session.scalars(select(KbArticle.id)).first()
    out = register(
        app, ticket, call_type="consultation", question="护照怎么办", action="kb",
        article_id=article,
    ).json()  # fmt: skip
    assert out["outcome"] == "已按知识库答复，定单办结"
    assert not any("答复您" in line for line in out["tell_caller"]) and out["reply_due"] is None

    ticket = a_call(app, "r.5")
    out = register(app, ticket, call_type="consultation", question="社保转移").json()
    assert any("答复您" in line for line in out["tell_caller"]) and out["reply_due"]
    assert out["deadlines_provisional"] is False


def test_refusals_name_the_field_in_chinese(app: TestClient):
    ticket = a_call(app, "r.6")
    refused = register(app, ticket, call_type="help", question="")
    assert refused.status_code == 422
    assert "来电内容" in refused.json()["error"] and "at least" not in refused.json()["error"]


def test_the_agents_current_call_is_found_again_until_it_is_registered(app: TestClient):
    assert app.get("/web/api/agent/call").json() == {"pop": None, "call": None}
    ticket = a_call(app, "r.7")
    post_events(
        app, "r.7",
        {"kind": "call_routed", "route": "queue", "queue": "general", "call_type": "help",
         "reason": "key", "label": "求助"},
        {"kind": "queue_joined", "queue": "general"},
        {"kind": "agent_ringing", "agent_interface": "PJSIP/8001"},
        {"kind": "agent_answered", "agent_interface": "PJSIP/8001"},
    )  # fmt: skip
    found = app.get("/web/api/agent/call").json()
    assert found["call"]["state"] == "talking" and found["call"]["answered_at"]
    assert found["pop"]["ticket_id"] == ticket and found["pop"]["caller_number"] == NUMBER
    assert found["pop"]["call_type"] == "help"

    post_events(app, "r.7", {"kind": "agent_completed", "agent_interface": "PJSIP/8001",
                             "talk_seconds": 30})  # fmt: skip
    assert app.get("/web/api/agent/call").json()["call"]["state"] == "ended"  # 话后整理
    register(app, ticket, call_type="help", question="水管爆了", contact_number=NUMBER)
    after = app.get("/web/api/agent/call").json()
    assert after["pop"] is None and after["call"]["state"] == "ended"  # registered: no pop
