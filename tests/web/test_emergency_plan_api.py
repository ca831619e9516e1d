"""The call-emergency plan over HTTP: alerts per the plan, post-event summaries, the blocklist.

docs/hotline-rules.md, "Call-emergency plan": fraud, harassment and emergency calls are reported
to the handling group, then leadership; a written summary follows; harassing numbers may be hung
up and recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from callmodel.events import CallEnded, CallRouted, CallStarted
from crm import db
from crm.accounts.services import set_account
from crm.app import create_app
from crm.calls.services import apply_event
from crm.directory.services import seed_all
from crm.domain.access import Role
from crm.domain.emergency_plan import parse_plan
from crm.emergency.services import raise_plan_alerts
from crm.models import Alert, AuditEntry, Call, Ticket
from crm.models.emergency import BlockedNumber
from hotline.settings import load_settings
from tests.web.sessions import PASSWORD, as_user

NUMBER = "13912345678"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("HOTLINE_CONFIG", str(tmp_path / "none.yaml"))
    application = create_app(load_settings(var_dir=tmp_path), connect_ami=False)
    application.state.service_token = "the-fastagi-servers-token"
    with TestClient(application) as client:
        with db.transaction(application.state.sessions) as session:
            seed_all(session)
            set_account(session, "agent1", PASSWORD, [Role.AGENT], extension="8001")
            set_account(session, "shift1", PASSWORD, [Role.SHIFT_LEADER])
            set_account(session, "boss1", PASSWORD, [Role.HOTLINE_LEADER])
            set_account(session, "qa1", PASSWORD, [Role.SUPERVISOR])
            session.add(
                Ticket(number="20261128-0009", caller_number=NUMBER, created_at=datetime.now(UTC))
            )
        yield client


def service(client: TestClient) -> dict[str, str]:
    client.cookies.clear()
    return {"Authorization": f"Bearer {client.app.state.service_token}"}  # type: ignore[attr-defined]


def ticket_id(client: TestClient) -> int:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return session.scalars(select(Ticket.id).where(Ticket.number == "20261128-0009")).one()


def alerts(client: TestClient, ticket: int) -> list[tuple[str, str]]:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        rows = session.scalars(select(Alert).where(Alert.ticket_id == ticket).order_by(Alert.id))
        return [(a.audience, a.kind) for a in rows]


def register(client: TestClient, ticket: int, abnormal: str) -> None:
    as_user(client, "agent1")
    body = {"call_type": "consultation", "question": "对方要求转账到安全账户", "abnormal": abnormal}
    response = client.post(f"/api/orders/{ticket}/registration", json=body)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("abnormal", "label"), [("fraud", "诈骗"), ("harassment", "骚扰")])
def test_an_abnormal_call_alerts_the_handling_group_then_leadership(
    app: TestClient, abnormal: str, label: str
):
    ticket = ticket_id(app)
    register(app, ticket, abnormal)
    kind = f"plan_{abnormal}"
    assert alerts(app, ticket) == [("shift_leader", kind), ("hotline_leader", kind)]
    with db.transaction(app.app.state.sessions) as session:  # type: ignore[attr-defined]
        # The plan applied again to the same ticket (a second judgement): nobody told twice.
        assert raise_plan_alerts(session, session.get(Ticket, ticket), abnormal) == []
    assert len(alerts(app, ticket)) == 2

    as_user(app, "shift1")
    seen = [a for a in app.get("/api/alerts").json() if a["kind"] == kind]
    assert len(seen) == 1 and label in seen[0]["message"] and "处置组" in seen[0]["message"]
    as_user(app, "boss1")
    seen = [a for a in app.get("/api/alerts").json() if a["kind"] == kind]
    assert len(seen) == 1 and "领导" in seen[0]["message"]


def test_the_hotline_leader_writes_the_post_event_summary(app: TestClient):
    ticket = ticket_id(app)
    as_user(app, "boss1")
    body = {"cause": "冒充公检法诈骗", "improvements": "知识库增加防骗话术"}
    refused = app.post(f"/api/orders/{ticket}/emergency-summary", json=body)
    assert refused.status_code == 409 and "无需" in refused.json()["error"]

    register(app, ticket, "fraud")
    as_user(app, "boss1")
    written = app.post(f"/api/orders/{ticket}/emergency-summary", json=body)
    assert written.status_code == 200, written.text
    summary = written.json()
    assert (summary["kind"], summary["author"], summary["cause"]) == (
        "fraud",
        "boss1",
        "冒充公检法诈骗",
    )
    assert summary["created_at"]
    as_user(app, "shift1")
    listed = app.get(f"/api/emergency-summaries?ticket_id={ticket}").json()
    assert [s["improvements"] for s in listed] == ["知识库增加防骗话术"]
    with app.app.state.sessions() as session:  # type: ignore[attr-defined]
        assert (
            session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "emergency_summary"))
            == "boss1"
        )


@pytest.mark.parametrize("user", ["agent1", "shift1", "qa1"])
def test_only_the_hotline_leader_keeps_the_blocklist_and_writes_summaries(app: TestClient, user):
    ticket = ticket_id(app)
    as_user(app, user)
    body = {"number": NUMBER, "reason": "多次辱骂话务员"}
    for response in (
        app.post("/api/blocklist", json=body),
        app.get("/api/blocklist"),
        app.post("/api/blocklist/1/remove"),
        app.post(
            f"/api/orders/{ticket}/emergency-summary", json={"cause": "x", "improvements": "y"}
        ),
    ):
        assert response.status_code == 403
        assert "热线负责人" in response.json()["error"]
    assert app.get("/api/blocklist/check", params={"number": NUMBER}).status_code == 403


def test_a_number_is_listed_with_expiry_reason_and_audit_then_removed(app: TestClient):
    as_user(app, "boss1")
    added = app.post(
        "/api/blocklist",
        json={"number": "+86 139-1234-5678", "reason": "多次辱骂话务员", "days": 7},
    )
    assert added.status_code == 200, added.text
    entry = added.json()
    assert entry["number"] == NUMBER, "kept in the one canonical form"
    expires = datetime.fromisoformat(entry["expires_at"])
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
    again = app.post("/api/blocklist", json={"number": NUMBER, "reason": "再次"})
    assert again.status_code == 409
    too_long = app.post(
        "/api/blocklist", json={"number": "13800000001", "reason": "x", "days": 400}
    )
    assert too_long.status_code == 422 and "365" in too_long.json()["error"]
    assert [e["number"] for e in app.get("/api/blocklist").json()] == [NUMBER]

    headers = service(app)
    check = app.get("/api/blocklist/check", params={"number": "013912345678"}, headers=headers)
    assert check.json() == {"blocked": True}
    other = app.get("/api/blocklist/check", params={"number": "13800000002"}, headers=headers)
    assert other.json() == {"blocked": False}

    as_user(app, "boss1")
    removed = app.post(f"/api/blocklist/{entry['id']}/remove")
    assert removed.status_code == 200 and removed.json()["removed_by"] == "boss1"
    assert app.post(f"/api/blocklist/{entry['id']}/remove").status_code == 409
    assert app.get("/api/blocklist").json() == []
    check = app.get("/api/blocklist/check", params={"number": NUMBER}, headers=service(app))
    assert check.json() == {"blocked": False}
    with app.app.state.sessions() as session:  # type: ignore[attr-defined]
        trail = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "blocked_number").order_by(AuditEntry.id)
        ).all()
        assert [(a.actor, a.action) for a in trail] == [
            ("boss1", "blocklist_add"),
            ("boss1", "blocklist_remove"),
        ]
        assert trail[0].detail["reason"] == "多次辱骂话务员"


def test_an_expired_entry_applies_to_nobody(app: TestClient):
    long_ago = datetime.now(UTC) - timedelta(days=40)
    with db.transaction(app.app.state.sessions) as session:  # type: ignore[attr-defined]
        session.add(
            BlockedNumber(
                number=NUMBER,
                reason="旧记录",
                added_by="boss1",
                added_at=long_ago,
                expires_at=long_ago + timedelta(days=30),
            )
        )
    check = app.get("/api/blocklist/check", params={"number": NUMBER}, headers=service(app))
    assert check.json() == {"blocked": False}
    as_user(app, "boss1")
    assert app.get("/api/blocklist").json() == []
    assert [e["reason"] for e in app.get("/api/blocklist?all=true").json()] == ["旧记录"]
    # …and the number may be listed afresh.
    assert app.post("/api/blocklist", json={"number": NUMBER, "reason": "又来"}).status_code == 200


@pytest.mark.parametrize("number", ["139\r\n1234", "<script>", "12", "1" * 40])
def test_hostile_numbers_are_refused_in_chinese(app: TestClient, number: str):
    as_user(app, "boss1")
    response = app.post("/api/blocklist", json={"number": number, "reason": "x"})
    assert response.status_code == 422
    check = app.get("/api/blocklist/check", params={"number": number}, headers=service(app))
    assert check.status_code == 422


def test_a_blocked_call_is_recorded_so_and_not_called_back(app: TestClient):
    sessions = app.app.state.sessions  # type: ignore[attr-defined]
    at = datetime.now(UTC)
    apply_event(
        sessions, CallStarted(event_id="s", uniqueid="9.1", occurred_at=at, caller_number=NUMBER)
    )
    apply_event(
        sessions,
        CallRouted(
            event_id="r", uniqueid="9.1", occurred_at=at, route="blocked", reason="blocklist"
        ),
    )
    apply_event(
        sessions,
        CallEnded(
            event_id="e",
            uniqueid="9.1",
            occurred_at=at,
            route="blocked",
            recording_path="/r/9.1.wav",
        ),
    )
    with sessions() as session:
        call = session.scalars(select(Call).where(Call.uniqueid == "9.1")).one()
        assert call.outcome == "blocklisted" and call.recording_path == "/r/9.1.wav"
        assert call.ticket is not None and not call.ticket.callback_needed
        assert "骚扰号码" in (call.ticket.handling_note or "")


def test_the_plan_file_is_checked():
    with pytest.raises(ValueError, match="缺少"):
        parse_plan("kinds:\n  fraud: {label: 诈骗, steps: [a], alert: [shift_leader]}\n")
    with pytest.raises(ValueError):
        parse_plan(
            "kinds:\n"
            "  fraud: {label: 诈骗, steps: [a], alert: [nobody]}\n"
            "  harassment: {label: 骚扰, steps: [a], alert: [shift_leader]}\n"
            "  emergency: {label: 紧急, steps: [a], alert: [shift_leader]}\n"
        )


def test_the_plan_alert_is_pushed_to_the_handling_groups_console(app: TestClient):
    ticket = ticket_id(app)
    as_user(app, "shift1")
    with app.websocket_connect("/web/ws", headers={"Origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "hello"
        frames = [ws.receive_json()]  # the wallboard a shift leader sees at once
        register(app, ticket, "fraud")
        while frames[-1]["type"] != "plan_alert":
            frames.append(ws.receive_json())
    pushed = frames[-1]["alert"]
    assert pushed["audience"] == "shift_leader" and pushed["kind"] == "plan_fraud"
    assert pushed["ticket_id"] == ticket and pushed["data"]["steps"]
