"""Tokens with a purpose: the FastAGI server's token posts call events and nothing else; a
script's personal API token acts as exactly its user, until it expires or is revoked.

Through the real application (``create_app``), the tokens issued as ``hotline api-token``
issues them (crm/accounts/cli.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crm import db
from crm.accounts import cli, tokens
from crm.accounts.services import set_account
from crm.app import create_app
from crm.directory.services import ensure_user
from crm.domain.access import Role
from crm.domain.errors import InvalidInput, NotFound
from crm.models import ApiToken, AuditEntry
from crm.models.workorders import StaffUser
from hotline.settings import Settings, load_settings
from tests.helpers import new_ticket
from tests.support.tokens import as_user, grant, token_of

SERVICE = "tokens-test-service-token"
STAFF = {"agent1": Role.AGENT, "shift1": Role.SHIFT_LEADER, "admin1": Role.ADMIN}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(var_dir=tmp_path).model_copy(update={"crm_ingest_token": SERVICE})


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, connect_ami=False)
    with TestClient(app) as test_client:
        with db.transaction(app.state.sessions) as session:
            for name, role in STAFF.items():
                ensure_user(session, name, name, [role])
        grant(app.state.sessions, *STAFF)
        yield test_client


def fastagi() -> dict[str, str]:
    return {"Authorization": f"Bearer {SERVICE}"}


def audit(client: TestClient, action: str) -> list[AuditEntry]:
    with client.app.state.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def a_ticket(client: TestClient) -> int:
    with db.transaction(client.app.state.sessions) as session:
        return new_ticket(session, "13800001234", datetime.now(UTC)).id


def test_the_fastagi_token_posts_call_events(client: TestClient) -> None:
    event = {
        "kind": "call_started",
        "event_id": "e-1",
        "uniqueid": "1.1",
        "caller_number": "13800001234",
        "occurred_at": datetime.now(UTC).isoformat(),
    }
    posted = client.post("/api/call-events", json={"events": [event]}, headers=fastagi())
    assert posted.status_code == 200, posted.text
    # Not even a staff member's own token posts them: only the FastAGI server does.
    refused = client.post("/api/call-events", json={"events": [event]}, headers=as_user("admin1"))
    assert refused.status_code == 403


def test_the_fastagi_token_reads_and_dispatches_nothing(client: TestClient) -> None:
    ticket = a_ticket(client)
    for method, path, body in (
        ("GET", "/api/orders", None),
        ("GET", f"/api/orders/{ticket}", None),
        ("GET", "/api/users", None),
        ("POST", f"/api/orders/{ticket}/dispatch", {"unit_id": 1}),
        ("GET", "/api/calls", None),
        ("POST", "/api/agents/8001/logout", None),
    ):
        refused = client.request(method, path, json=body, headers=fastagi())
        assert refused.status_code == 403, (path, refused.text)
        assert "服务令牌" in refused.json()["error"]


def test_naming_a_user_beside_the_fastagi_token_acts_as_nobody(client: TestClient) -> None:
    ticket = a_ticket(client)
    as_leader = {**fastagi(), "X-Hotline-User": "shift1"}
    refused = client.post(f"/api/orders/{ticket}/dispatch", json={"unit_id": 1}, headers=as_leader)
    assert refused.status_code == 403
    assert client.get("/api/orders", headers=as_leader).status_code == 403
    with client.app.state.sessions() as session:
        assert session.scalars(select(AuditEntry).where(AuditEntry.actor == "shift1")).all() == []


def test_a_token_acts_as_its_user_with_its_roles_and_every_use_is_audited(
    client: TestClient,
) -> None:
    ticket = a_ticket(client)
    # An agent's token on a shift leader's route: the agent's roles, so refused.
    refused = client.post(
        f"/api/orders/{ticket}/dispatch", json={"unit_id": 1}, headers=as_user("agent1")
    )
    assert refused.status_code == 403 and "值班长" in refused.json()["error"]
    assert client.get("/api/users", headers=as_user("agent1")).status_code == 403
    listed = client.get("/api/users", headers=as_user("admin1"))
    assert listed.status_code == 200 and {u["username"] for u in listed.json()} >= set(STAFF)
    registered = client.post(
        f"/api/orders/{ticket}/registration",
        json={"call_type": "consultation", "question": "社保卡怎么补办"},
        headers=as_user("agent1"),
    )
    assert registered.status_code == 200, registered.text
    assert [a.actor for a in audit(client, "register")] == ["agent1"]
    uses = [(a.actor, a.detail["route"]) for a in audit(client, "api_token_use")]
    assert uses == [
        ("agent1", "POST /api/orders/{ticket_id}/dispatch"),
        ("agent1", "GET /api/users"),
        ("admin1", "GET /api/users"),
        ("agent1", "POST /api/orders/{ticket_id}/registration"),
    ]


def test_a_token_is_stored_as_its_hash_only(client: TestClient) -> None:
    with client.app.state.sessions() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
    secret = token_of("agent1")
    assert hashlib.sha256(secret.encode()).hexdigest() in stored
    assert not any(secret in row for row in stored)


def test_unknown_revoked_and_expired_tokens_are_refused(client: TestClient) -> None:
    unknown = client.get("/api/orders", headers={"Authorization": "Bearer hlt_guessed"})
    assert unknown.status_code == 401 and unknown.json()["error"] == tokens.UNKNOWN
    not_bearer = client.get("/api/orders", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    assert not_bearer.status_code == 401
    digest = hashlib.sha256(token_of("shift1").encode()).hexdigest()
    with db.transaction(client.app.state.sessions) as session:
        token_id = session.scalars(select(ApiToken.id).where(ApiToken.token_hash == digest)).one()
        tokens.revoke(session, token_id, now=datetime.now(UTC), actor="admin1")
        tokens.issue(
            session, "shift1", "一天的令牌", "hlt_expired-one",
            now=datetime.now(UTC) - timedelta(days=2), days=1, actor="admin1",
        )  # fmt: skip
    revoked = client.get("/api/orders", headers=as_user("shift1"))
    assert revoked.status_code == 401 and revoked.json()["error"] == tokens.REVOKED
    expired = client.get("/api/orders", headers={"Authorization": "Bearer hlt_expired-one"})
    assert expired.status_code == 401 and expired.json()["error"] == tokens.EXPIRED
    assert [a.actor for a in audit(client, "revoke_api_token")] == ["admin1"]


def test_a_deactivated_users_token_is_refused(client: TestClient) -> None:
    with db.transaction(client.app.state.sessions) as session:
        user = session.scalars(select(StaffUser).where(StaffUser.username == "agent1")).one()
        user.active = False
    refused = client.get("/api/orders", headers=as_user("agent1"))
    assert refused.status_code == 401 and refused.json()["error"] == tokens.USER_GONE


def test_tokens_are_not_issued_for_nobody_or_for_ever(client: TestClient) -> None:
    with db.transaction(client.app.state.sessions) as session:
        with pytest.raises(NotFound):
            tokens.issue(session, "ghost", "x", "hlt_x", now=datetime.now(UTC), actor="admin1")
        with pytest.raises(InvalidInput):
            tokens.issue(
                session, "agent1", "x", "hlt_y", now=datetime.now(UTC), days=10_000, actor="a"
            )


def test_the_hotline_command_creates_lists_and_revokes_a_token(
    client: TestClient, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.create_api_token(settings, "shift1", "台账导出脚本", 30) == 0
    out, err = capsys.readouterr()
    secret = out.strip()
    assert secret.startswith("hlt_") and "只显示这一次" in err
    headers = {"Authorization": f"Bearer {secret}"}
    assert (
        client.get("/api/ledger?start=2026-11-01&end=2026-11-30", headers=headers).status_code
        == 200
    )
    assert cli.list_api_tokens(settings, "shift1") == 0
    listed = capsys.readouterr().out
    assert "台账导出脚本" in listed and secret not in listed
    token_id = int(listed.split("\t")[0].lstrip("#"))
    assert cli.revoke_api_token(settings, token_id) == 0
    assert client.get("/api/orders", headers=headers).status_code == 401
    assert cli.create_api_token(settings, "ghost", "x", 30) == 1
    assert "ghost" in capsys.readouterr().err


def sign_in_admin(client: TestClient) -> None:
    """A console session of an administrator (created the first time)."""
    with db.transaction(client.app.state.sessions) as session:
        if not session.scalars(select(StaffUser).where(StaffUser.username == "boss1")).first():
            set_account(session, "boss1", "console-admin-password", [Role.ADMIN])
    signed_in = client.post(
        "/web/login",
        data={"username": "boss1", "password": "console-admin-password"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303


def test_an_administrator_issues_and_revokes_a_token_in_the_console(client: TestClient) -> None:
    sign_in_admin(client)
    ours = {"Origin": "http://testserver"}
    wanted = {"username": "agent1", "label": "知识库同步", "days": 7}
    for_ever = client.post("/web/api/admin/tokens", json={**wanted, "days": 0}, headers=ours)
    assert for_ever.status_code == 422
    issued = client.post("/web/api/admin/tokens", json=wanted, headers=ours)
    assert issued.status_code == 200, issued.text
    secret, token_id = issued.json()["token"], issued.json()["id"]
    listed = client.get("/web/api/admin/tokens", headers=ours)
    assert "知识库同步" in listed.text and secret not in listed.text
    client.cookies.clear()
    mine = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/kb/articles", headers=mine).status_code == 200
    # The token is for the REST API: not for the console's own routes.
    assert client.get("/web/api/admin/tokens", headers=mine).status_code == 403
    sign_in_admin(client)
    revoked = client.post(f"/web/api/admin/tokens/{token_id}/revoke", headers=ours)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    client.cookies.clear()
    assert client.get("/api/kb/articles", headers=mine).status_code == 401
    assert [a.actor for a in audit(client, "issue_api_token")][-1] == "boss1"
    assert [a.actor for a in audit(client, "revoke_api_token")] == ["boss1"]
