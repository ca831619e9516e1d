"""Who may do what, through the real application with real accounts and session cookies (no
Asterisk: AMI is a stand-in that accepts every action)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crm import db
from crm.accounts.services import set_account
from crm.app import create_app
from crm.domain.access import Role
from hotline.settings import load_settings

PASSWORD = "correct horse battery"
OWN, OTHER = "8001", "8002"
# username: (roles, desk extension)
ACCOUNTS: dict[str, tuple[list[Role], str | None]] = {
    "agent1": ([Role.AGENT], OWN),
    "agent2": ([Role.AGENT], OTHER),
    "shift1": ([Role.SHIFT_LEADER], None),
    "hl1": ([Role.HOTLINE_LEADER], None),
    "admin1": ([Role.ADMIN], None),
    "unit1": ([Role.UNIT], None),
    "qc1": ([Role.SUPERVISOR], None),
    "qc2": ([Role.SUPERVISOR], "8003"),  # a supervisor's desk phone is not an agent's desk
    "rev1": ([Role.REVIEWER], None),
    "rev2": ([Role.REVIEWER], None),
}


async def accept(message: dict[str, str]) -> dict[str, Any]:
    """AMI's answer to every action here, so queue moves succeed without Asterisk."""
    return {"Response": "Success"}


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("HOTLINE_CONFIG", str(tmp_path / "none.yaml"))
    settings = load_settings(var_dir=tmp_path).model_copy(
        update={"crm_ingest_token": "access-test-token"}
    )
    application = create_app(settings, connect_ami=False)
    with TestClient(application, base_url="http://testserver") as client:
        monkeypatch.setattr(application.state.agents.ami, "action", accept)
        with db.transaction(application.state.sessions) as session:
            for name, (roles, extension) in ACCOUNTS.items():
                set_account(session, name, PASSWORD, roles, display_name=name, extension=extension)
        yield client


def sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    response = client.post(
        "/web/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def service_headers(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.app.state.service_token}"}


# --- agents act for themselves ---------------------------------------------------------------

MOVES = [("login", {}), ("pause", {"reason": "小休"}), ("ready", None), ("logout", None)]
MAY_ACT_FOR_OTHERS = ["shift1", "hl1", "admin1"]
NEVER = ["unit1", "qc1", "qc2", "rev1"]


def move_all(client: TestClient, extension: str, **kwargs: Any) -> list[tuple[str, int, Any]]:
    out = []
    for path, body in MOVES:
        response = client.post(f"/api/agents/{extension}/{path}", json=body, **kwargs)
        out.append((path, response.status_code, response.json()))
    return out


def test_an_agent_moves_their_own_extension_only(app: TestClient) -> None:
    sign_in(app, "agent1")
    assert [(p, code) for p, code, _ in move_all(app, OWN)] == [(p, 200) for p, _ in MOVES]
    for path, code, body in move_all(app, OTHER):
        assert code == 403, path
        assert "本人分机" in body["error"]
    states = {a["extension"]: a for a in app.get("/api/agents").json()}
    assert states[OTHER]["signed_in"] is False


@pytest.mark.parametrize("username", MAY_ACT_FOR_OTHERS)
def test_leaders_and_admins_move_any_agent(app: TestClient, username: str) -> None:
    sign_in(app, username)
    for extension in (OWN, OTHER):
        assert [(p, c) for p, c, _ in move_all(app, extension)] == [(p, 200) for p, _ in MOVES]


@pytest.mark.parametrize("username", NEVER)
def test_other_roles_move_no_agent(app: TestClient, username: str) -> None:
    sign_in(app, "agent1")
    app.post(f"/api/agents/{OWN}/login", json={})
    sign_in(app, username)
    for extension in (OWN, OTHER, "8003"):
        for path, code, body in move_all(app, extension):
            assert code == 403, (extension, path)
            assert "本人分机" in body["error"]
    # The agent signed in above is still signed in, not paused.
    states = {a["extension"]: a for a in app.get("/api/agents").json()}
    assert states[OWN]["signed_in"] is True and states[OWN]["paused"] is False


def test_the_service_token_moves_any_agent(app: TestClient) -> None:
    app.cookies.clear()
    for extension in (OWN, OTHER):
        moves = move_all(app, extension, headers=service_headers(app))
        assert [(p, c) for p, c, _ in moves] == [(p, 200) for p, _ in MOVES]


def test_moves_need_credentials_and_our_own_pages(app: TestClient) -> None:
    app.cookies.clear()
    assert app.post(f"/api/agents/{OWN}/login", json={}).status_code == 401
    sign_in(app, "agent1")
    foreign = app.post(f"/api/agents/{OWN}/logout", headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and foreign.json()["error"]


def test_the_console_moves_the_agents_own_extension_only(app: TestClient) -> None:
    sign_in(app, "agent1")
    ours = {"Origin": "http://testserver"}
    assert app.post("/web/api/agent/sign-in", json={}, headers=ours).status_code == 200
    assert app.post("/web/api/agent/pause", json={"paused": True}, headers=ours).status_code == 200
    states = {a["extension"]: a for a in app.get("/api/agents").json()}
    assert states[OWN]["signed_in"] and states[OWN]["paused"] and not states[OTHER]["signed_in"]
    for username in NEVER:
        sign_in(app, username)
        response = app.post("/web/api/agent/sign-out", headers=ours)
        assert response.status_code == 403 and response.json()["error"], username
