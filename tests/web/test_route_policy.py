"""The access policy (crm/http/policy.py) covers every route, and every route does what it says.

The matrix is generated, not copied: the routes come from ``app.routes`` (included routers,
the WebSocket and the static mount too) and what each allows from the table. For every route ×
every role, with a real account and a real session cookie (and again with the role's personal
API token, and with the FastAGI server's token): a caller the table does not name is refused by
the gate (403 naming the route; 401 or the sign-in page without credentials), and a caller it
names is not (it may still get 404 or 422 for the missing object or body: that is the route's
own answer).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from crm import db
from crm.accounts.services import set_account
from crm.app import create_app, include_api
from crm.domain.access import Purpose, Role
from crm.http.policy import POLICY, WEBSOCKET, Key, Rule, application_keys, unlisted
from hotline.settings import load_settings
from tests.support.tokens import as_user, grant

PASSWORD = "route-policy-password"
OURS = {"Origin": "http://testserver"}
# One account per role, named after it; the agent has a desk extension.
EXTENSION = "8001"
# What a route's path parameters are filled with: nothing of the kind exists (404 at most).
FILL = {"extension": EXTENSION, "name": "no-such-document", "path": "app.js", "uniqueid": "0.0"}
PARAM = re.compile(r"{(\w+)}")


async def accept(message: dict[str, str]) -> dict[str, Any]:
    """AMI's answer to every action (no Asterisk here)."""
    return {"Response": "Success"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = load_settings(var_dir=tmp_path_factory.mktemp("route-policy")).model_copy(
        update={"crm_ingest_token": "route-policy-service-token"}
    )
    application = create_app(settings, connect_ami=False)
    with pytest.MonkeyPatch.context() as patch, TestClient(application) as test_client:
        patch.setattr(application.state.agents.ami, "action", accept)
        with db.transaction(application.state.sessions) as session:
            for role in Role:
                extension = EXTENSION if role is Role.AGENT else None
                set_account(session, role.value, PASSWORD, [role], extension=extension)
        grant(application.state.sessions, *(role.value for role in Role))
        yield test_client


def url(path: str) -> str:
    return PARAM.sub(lambda m: FILL.get(m.group(1), "999999"), path)


def call(client: TestClient, key: Key, **headers: str) -> Any:
    method, path = key
    body = {"json": {}} if method in ("POST", "PUT") else {}
    return client.request(
        method, url(path), headers={**OURS, **headers}, follow_redirects=False, **body
    )


def gated(response: Any, key: Key) -> bool:
    """Whether the access policy's gate refused this request (it names the route)."""
    if response.status_code != 403:
        return False
    return response.json().get("route") == " ".join(key)


# The HTTP routes the gate decides on (HEAD is answered with GET; the WebSocket below).
HTTP = sorted(
    (key, rule) for key, rule in POLICY.items() if not rule.public and key[0] not in (WEBSOCKET,)
)


def test_every_route_of_the_application_has_a_policy_entry(client: TestClient) -> None:
    keys = application_keys(client.app)
    # The enumeration sees what is not in the OpenAPI: the WebSocket, the mount, the pages.
    assert {(WEBSOCKET, "/web/ws"), ("GET", "/web/static/{path}"), ("GET", "/web/agent")} <= keys
    assert {("GET", "/metrics"), ("GET", "/healthz"), ("POST", "/api/call-events")} <= keys
    assert unlisted(client.app) == set(), "add these routes to crm/http/policy.py"
    assert POLICY.keys() - keys == set(), "the table names routes the application lacks"
    for key, rule in POLICY.items():
        assert rule.public or rule.roles or rule.tokens, key


def test_a_route_missing_from_the_table_is_refused(tmp_path: Path) -> None:
    app = FastAPI()
    include_api(app)
    app.add_api_route("/api/forgotten", lambda: {"secret": True})
    with TestClient(app) as test_client:
        refused = test_client.get("/api/forgotten")
    assert refused.status_code == 403 and "访问策略" in refused.json()["error"]
    assert unlisted(app) == {("GET", "/api/forgotten")}


@pytest.mark.parametrize(("key", "rule"), HTTP, ids=[" ".join(k) for k, _ in HTTP])
def test_without_credentials_a_route_asks_for_them(
    client: TestClient, key: Key, rule: Rule
) -> None:
    client.cookies.clear()
    response = call(client, key)
    if key[1].startswith(("/api/", "/web/api/")):
        assert response.status_code == 401 and response.json()["error"], response.text
    else:  # a page sends the browser to the sign-in form
        assert response.status_code == 303
        assert response.headers["location"].startswith("/web/login")


def test_public_routes_answer_without_credentials(client: TestClient) -> None:
    client.cookies.clear()
    for (method, path), rule in POLICY.items():
        if rule.public and method != "POST":  # POSTs: sign-in (below) and sign-out
            response = client.request(method, url(path), follow_redirects=False)
            assert response.status_code in (200, 303), (method, path, response.status_code)
    refused = client.post("/web/login", data={"username": "agent", "password": "wrong"})
    assert refused.status_code == 401  # the form's own answer, not the gate's


def sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    response = client.post(
        "/web/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def mismatches(
    client: TestClient, allowed: Callable[[Rule], bool], **headers: str
) -> list[tuple[Key, bool, int, str]]:
    """Every route where the gate's answer differs from the table's (refused though allowed,
    let through though not, or asked for credentials it was given)."""
    wrong = []
    for key, rule in HTTP:
        response = call(client, key, **headers)
        if allowed(rule) == gated(response, key) or response.status_code == 401:
            wrong.append((key, allowed(rule), response.status_code, response.text[:200]))
    return wrong


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_each_role_with_its_session_gets_what_the_table_gives_it(
    client: TestClient, role: Role
) -> None:
    sign_in(client, role.value)
    assert mismatches(client, lambda rule: role in rule.roles) == []


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_each_roles_personal_token_gets_the_api_routes_the_table_gives_it(
    client: TestClient, role: Role
) -> None:
    client.cookies.clear()
    allowed = lambda rule: role in rule.roles and Purpose.API in rule.tokens  # noqa: E731
    assert mismatches(client, allowed, **as_user(role.value)) == []


def test_the_fastagi_token_reaches_the_call_events_and_blocklist_check_only(
    client: TestClient,
) -> None:
    """What the FastAGI server calls: posting call events, asking whether a caller is listed."""
    client.cookies.clear()
    service = {"Authorization": f"Bearer {client.app.state.service_token}"}
    assert mismatches(client, lambda rule: Purpose.CALL_EVENTS in rule.tokens, **service) == []
    assert sorted(k for k, r in HTTP if Purpose.CALL_EVENTS in r.tokens) == [
        ("GET", "/api/blocklist/check"),
        ("POST", "/api/call-events"),
    ]


def ws_refusal(client: TestClient, **headers: str) -> int:
    """The close code the WebSocket is refused with before its handshake."""
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect("/web/ws", headers=headers),
    ):
        pass
    return refused.value.code


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_the_websocket_follows_the_table(client: TestClient, role: Role) -> None:
    sign_in(client, role.value)
    if role in POLICY[(WEBSOCKET, "/web/ws")].roles:
        with client.websocket_connect("/web/ws") as ws:
            assert ws.receive_json()["type"] == "hello"
    else:
        assert ws_refusal(client) == 4403
    # Another site's page must not listen in with the cookie.
    assert ws_refusal(client, Origin="http://evil.example") == 4403


def test_the_websocket_needs_a_session(client: TestClient) -> None:
    client.cookies.clear()
    assert ws_refusal(client) == 4401
    # A personal token is for the REST API only.
    assert ws_refusal(client, **as_user(Role.SUPERVISOR.value)) == 4403
