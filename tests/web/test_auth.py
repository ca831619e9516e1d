"""Sign-in, roles and masking of the consoles, on a real app (no Asterisk needed)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crm import db
from crm.accounts.cli import create_admin
from crm.accounts.services import AccountError, set_account
from crm.app import create_app
from crm.domain.access import Role, Viewer
from crm.domain.redaction import redact
from crm.models import AuditEntry, CallbackAttempt, Ticket, WebCredential
from crm.security import COOKIE, read_cookie
from hotline.settings import load_settings

PASSWORD = "correct horse battery"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("HOTLINE_CONFIG", str(tmp_path / "none.yaml"))
    settings = load_settings(var_dir=tmp_path)
    application = create_app(settings, connect_ami=False)
    with TestClient(application, base_url="http://testserver") as client:
        with db.transaction(application.state.sessions) as session:
            set_account(
                session, "agent1", PASSWORD, [Role.AGENT], display_name="王芳", extension="8001"
            )
            set_account(session, "qc1", PASSWORD, [Role.SUPERVISOR], display_name="李质检")
            session.add(
                Ticket(
                    number="20261128-0001",
                    caller_number="13812345678",
                    callback_needed=True,
                    created_at=datetime.now(UTC),
                )
            )
        yield client


def sign_in(client: TestClient, username: str, password: str = PASSWORD):
    return client.post(
        "/web/login", data={"username": username, "password": password}, follow_redirects=False
    )


def test_there_are_no_default_accounts(app: TestClient):
    for name in ("admin", "root", "12345"):
        assert sign_in(app, name, "admin").status_code == 401


def test_create_admin_hashes_with_argon2_and_refuses_short_passwords(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HOTLINE_CONFIG", str(tmp_path / "none.yaml"))
    settings = load_settings(var_dir=tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert create_admin(settings, "boss", password_stdin=True) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert create_admin(settings, "boss", password_stdin=True) == 0
    engine = db.make_engine(settings.db_url)
    with db.make_sessionmaker(engine)() as session:
        cred = session.scalars(select(WebCredential)).one()
        assert cred.password_hash.startswith("$argon2id$") and PASSWORD not in cred.password_hash
    engine.dispose()
    factory = db.make_sessionmaker(db.make_engine(settings.db_url))
    with pytest.raises(AccountError), db.transaction(factory) as session:
        set_account(session, "x", "tiny", [Role.ADMIN])


def test_sign_in_sets_a_signed_httponly_strict_cookie(app: TestClient):
    assert sign_in(app, "agent1", "wrong password!").status_code == 401
    response = sign_in(app, "agent1")
    assert response.status_code == 303
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=strict" in header
    value = response.cookies[COOKIE]
    assert read_cookie(app.app.state.web_key, value) is not None
    tampered = value.replace(value.split(".")[0], "999", 1)
    assert read_cookie(app.app.state.web_key, tampered) is None
    assert app.get("/web/agent").status_code == 200
    assert app.get("/web/admin").status_code == 403  # an agent is not an admin
    with app.app.state.sessions() as session:
        actions = [a.action for a in session.scalars(select(AuditEntry))]
    assert "web_login" in actions and "web_login_failed" in actions


def test_pages_and_api_refuse_without_a_session(app: TestClient):
    assert app.get("/web/agent", follow_redirects=False).status_code == 303
    assert app.get("/web/api/callbacks").status_code == 401


def test_a_masked_role_gets_masked_numbers_in_the_api(app: TestClient):
    sign_in(app, "qc1")
    rows = app.get("/web/api/callbacks").json()
    assert rows and rows[0]["caller_number"] == "138****5678"
    assert "13812345678" not in app.get("/web/api/callbacks").text
    app.cookies.clear()
    sign_in(app, "agent1")
    assert app.get("/web/api/callbacks").json()[0]["caller_number"] == "13812345678"


def test_a_call_back_without_a_carrier_trunk_says_so(app: TestClient):
    sign_in(app, "agent1")
    [row] = app.get("/web/api/callbacks").json()
    response = app.post(
        f"/web/api/callbacks/{row['ticket_id']}/call", headers={"Origin": "http://testserver"}
    )
    assert response.status_code == 400
    assert "未配置外线中继" in response.json()["error"]


def test_only_files_in_the_recordings_folder_are_served(app: TestClient):
    with db.transaction(app.app.state.sessions) as session:
        ticket = session.scalars(select(Ticket)).first()
        attempt = CallbackAttempt(
            ticket_id=ticket.id,
            agent_extension="8001",
            number=ticket.caller_number,
            status="ANSWER",
            recording_path="/../../../../etc/passwd",
        )
        session.add(attempt)
        session.flush()
        attempt_id = attempt.id
    sign_in(app, "qc1")
    response = app.get(f"/web/api/callbacks/attempts/{attempt_id}/audio")
    assert response.status_code == 404 and "root:" not in response.text


def test_cross_site_writes_are_refused(app: TestClient):
    sign_in(app, "agent1")
    response = app.post(
        "/web/api/agent/sign-in", json={}, headers={"Origin": "http://evil.example"}
    )
    assert response.status_code == 403


def test_reports_stay_masked_for_everyone_but_their_readers():
    payload = {
        "earlier": [
            {
                "caller_number": "13812345678",
                "question": "某局长收受礼金",
                "_confidential": True,
                "_reviewer": "r1",
            }
        ]
    }
    agent = Viewer("a", frozenset({Role.AGENT}))
    leader = Viewer("l", frozenset({Role.HOTLINE_LEADER}))
    assert redact(agent, payload)["earlier"][0]["caller_number"] == "138****5678"
    assert "局长" not in str(redact(agent, payload))
    reviewer = Viewer("r1", frozenset({Role.REVIEWER}))
    assert redact(reviewer, payload)["earlier"][0]["question"] == "某局长收受礼金"
    assert redact(leader, payload)["earlier"][0]["caller_number"] == "13812345678"
    assert "_reviewer" not in redact(leader, payload)["earlier"][0]
