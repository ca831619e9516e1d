"""Sign-in like a bank's: throttle and lockout per 工号 and per address (shared through the
database, released by time or by an administrator), the password rule, idle timeout, and
sessions ended by a password change or a deactivation. A real app, a frozen clock, no Asterisk."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from crm import db
from crm.accounts import throttle
from crm.accounts.passwords import password_problem
from crm.accounts.services import AccountError, deactivate_account, set_account
from crm.app import create_app
from crm.domain.access import Role
from crm.models import AuditEntry, SignInAttempt
from crm.security import COOKIE
from hotline.settings import load_settings
from tests.helpers import Clock

PASSWORD = "correct horse battery"
ORIGIN = {"Origin": "http://testserver"}
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def application(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Iterator[FastAPI]:
    monkeypatch.setenv("HOTLINE_CONFIG", str(tmp_path / "none.yaml"))
    settings = load_settings(
        var_dir=tmp_path,
        sign_in={"account_failures": 3, "address_failures": 5, "trusted_proxies": ["10.9.0.1"]},
    )
    app = create_app(settings, connect_ami=False)
    app.state.clock = clock
    with TestClient(app):  # runs the migrations
        with db.transaction(app.state.sessions) as session:
            set_account(session, "agent1", PASSWORD, [Role.AGENT], display_name="王芳")
            set_account(session, "agent2", PASSWORD, [Role.AGENT], display_name="李娜")
            set_account(session, "admin1", PASSWORD, [Role.ADMIN], display_name="赵管理")
        yield app


def client(app: FastAPI, address: str = "192.0.2.10") -> TestClient:
    return TestClient(app, base_url="http://testserver", client=(address, 40000))


def sign_in(web: TestClient, username: str, password: str = PASSWORD, **headers: str):
    return web.post(
        "/web/login",
        data={"username": username, "password": password},
        headers=headers,
        follow_redirects=False,
    )


def audited(app: FastAPI, action: str) -> list[AuditEntry]:
    with app.state.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_an_account_is_locked_after_its_failures_even_for_the_right_password(application, clock):
    web = client(application)
    assert [sign_in(web, "agent1", "wrong password!").status_code for _ in range(2)] == [401, 401]
    third = sign_in(web, "agent1", "wrong password!")
    assert third.status_code == 429 and "已被临时锁定" in third.text
    locked = sign_in(web, "agent1")
    assert locked.status_code == 429 and COOKIE not in locked.cookies
    assert locked.headers["Retry-After"] == str(15 * 60)
    assert "该工号已被临时锁定，请 15 分钟后再试" in locked.text
    assert len(audited(application, "web_login_lockout")) == 1
    [refusal] = audited(application, "web_login_locked")
    assert refusal.actor == "agent1" and refusal.detail["address"] == "192.0.2.10"
    # A flood against the lock writes one audit row a minute with the count, not one a request.
    assert {sign_in(web, "agent1").status_code for _ in range(3)} == {429}
    assert len(audited(application, "web_login_locked")) == 1
    clock.now = START + timedelta(minutes=1)
    assert sign_in(web, "agent1").status_code == 429
    later = audited(application, "web_login_locked")[-1]
    assert len(audited(application, "web_login_locked")) == 2 and later.detail["refused"] == 4
    # Another account from the same address is not locked (2 of 5 address failures left).
    assert sign_in(web, "agent2").status_code == 303


def test_a_lock_runs_out_after_its_period(application, clock):
    web = client(application)
    for _ in range(3):
        sign_in(web, "agent1", "wrong password!")
    clock.now = START + timedelta(minutes=14, seconds=59)
    assert sign_in(web, "agent1").status_code == 429
    assert sign_in(web, "agent1").headers["Retry-After"] == "1"
    clock.now = START + timedelta(minutes=15, seconds=1)
    assert sign_in(web, "agent1").status_code == 303


def test_failures_outside_the_window_do_not_add_up(application, clock):
    web = client(application)
    sign_in(web, "agent1", "wrong password!")
    sign_in(web, "agent1", "wrong password!")
    clock.now = START + timedelta(minutes=16)
    sign_in(web, "agent1", "wrong password!")
    sign_in(web, "agent1", "wrong password!")
    assert sign_in(web, "agent1").status_code == 303  # 2 + 2, never 3 in 15 minutes


def test_a_right_password_clears_the_accounts_count(application):
    web = client(application)
    sign_in(web, "agent1", "wrong password!")
    sign_in(web, "agent1", "wrong password!")
    assert sign_in(web, "agent1").status_code == 303
    web.cookies.clear()
    assert sign_in(web, "agent1", "wrong password!").status_code == 401  # counting from 0 again


def test_an_unknown_username_is_locked_like_a_real_one(application):
    web = client(application)
    answers = [sign_in(web, "nobody", "wrong password!").status_code for _ in range(4)]
    assert answers == [401, 401, 429, 429]


def test_an_address_is_locked_after_its_higher_limit_across_accounts(application, clock):
    web = client(application, "198.51.100.7")
    for name in ("a", "b", "c", "d"):
        assert sign_in(web, name, "wrong password!").status_code == 401
    refused = sign_in(web, "e", "wrong password!")
    assert refused.status_code == 429 and "本机地址已被临时锁定" in refused.text
    assert sign_in(web, "agent1").status_code == 429  # a right password from there too
    assert sign_in(client(application, "198.51.100.8"), "agent1").status_code == 303


def test_x_forwarded_for_counts_only_behind_a_trusted_proxy(application):
    spoofer = client(application, "198.51.100.9")
    for n in range(6):  # a forged header changes nothing: the TCP peer is counted
        sign_in(spoofer, f"u{n}", "wrong password!", **{"X-Forwarded-For": f"203.0.113.{n}"})
    with application.state.sessions() as session:
        keys = set(
            session.scalars(select(SignInAttempt.key).where(SignInAttempt.scope == "address"))
        )
    assert keys == {"198.51.100.9"}
    proxy = client(application, "10.9.0.1")
    for n in range(5):
        sign_in(proxy, f"x{n}", "wrong password!", **{"X-Forwarded-For": "1.2.3.4, 203.0.113.50"})
    assert sign_in(proxy, "agent1", **{"X-Forwarded-For": "203.0.113.50"}).status_code == 429
    assert sign_in(proxy, "agent1", **{"X-Forwarded-For": "203.0.113.51"}).status_code == 303


def test_client_address_takes_the_rightmost_untrusted_hop():
    trusted = ["10.0.0.0/8"]
    assert throttle.client_address("10.1.1.1", "6.6.6.6, 7.7.7.7, 10.2.2.2", trusted) == "7.7.7.7"
    assert throttle.client_address("8.8.8.8", "7.7.7.7", trusted) == "8.8.8.8"
    assert throttle.client_address("10.1.1.1", None, trusted) == "10.1.1.1"
    assert throttle.client_address("10.1.1.1", "junk", trusted) == "10.1.1.1"
    assert throttle.client_address(None, None, []) == "unknown"


def test_an_admin_lists_and_releases_a_lock_audited(application):
    web = client(application)
    for _ in range(3):
        sign_in(web, "agent1", "wrong password!")
    admin = client(application, "192.0.2.99")
    assert sign_in(admin, "admin1").status_code == 303
    [lock] = admin.get("/web/api/admin/sign-in-locks").json()
    assert (lock["scope"], lock["key"], lock["failures"]) == ("account", "agent1", 3)
    release = {"scope": "account", "key": "agent1"}
    assert admin.post("/web/api/admin/sign-in-locks/release", json=release, headers=ORIGIN).json()[
        "released"
    ]
    [entry] = audited(application, "web_login_unlock")
    assert entry.actor == "admin1" and entry.entity_id == "account:agent1"
    assert sign_in(web, "agent1").status_code == 303
    again = admin.post("/web/api/admin/sign-in-locks/release", json=release, headers=ORIGIN)
    assert again.status_code == 404
    bad = admin.post(
        "/web/api/admin/sign-in-locks/release", json={"scope": "x", "key": "y"}, headers=ORIGIN
    )
    assert bad.status_code == 422
    assert client(application).get("/web/api/admin/sign-in-locks").status_code == 401
    agent = client(application, "192.0.2.98")
    sign_in(agent, "agent2")
    assert agent.get("/web/api/admin/sign-in-locks").status_code == 403


def test_the_lock_is_shared_by_every_worker_of_the_instance(application, tmp_path):
    """A second app on the same database (another CRM worker) sees the first one's lock."""
    web = client(application)
    for _ in range(3):
        sign_in(web, "agent1", "wrong password!")
    other = create_app(application.state.settings, connect_ami=False)
    other.state.clock = application.state.clock
    with TestClient(other, base_url="http://testserver", client=("192.0.2.50", 1)) as second:
        assert sign_in(second, "agent1").status_code == 429
    other.state.engine.dispose()


def test_a_locked_sign_in_is_refused_before_any_password_hashing(application, monkeypatch):
    web = client(application)
    for _ in range(3):
        sign_in(web, "agent1", "wrong password!")
    checked: list[str] = []
    monkeypatch.setattr(
        "crm.accounts.services.check_password", lambda *a: checked.append("x") or True
    )
    assert sign_in(web, "agent1").status_code == 429 and checked == []


def test_the_check_gate_bounds_concurrent_checks():
    async def scenario() -> None:
        gate = throttle.CheckGate(1, 0.05)
        async with gate.slot():
            with pytest.raises(throttle.ChecksBusy):
                async with gate.slot():
                    pass
        async with gate.slot():  # free again
            pass
        no_wait = throttle.CheckGate(1, 0)
        async with no_wait.slot():
            pass
        niceness = await gate.run(
            lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        )
        assert niceness >= throttle.CHECK_NICENESS  # below the call path's threads

    # In a thread of its own: the browser tests' Playwright keeps an event loop running in
    # this one for the rest of the session.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result()


class FullGate(throttle.CheckGate):
    """Every slot taken by other sign-ins."""

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        raise throttle.ChecksBusy
        yield


def test_a_sign_in_without_a_free_check_slot_is_refused_as_busy_and_not_counted(application):
    application.state.sign_in_gate = FullGate()
    web = client(application)
    busy = [sign_in(web, "agent1", "wrong password!") for _ in range(4)]
    assert {r.status_code for r in busy} == {503} and "登录请求过多" in busy[0].text
    assert busy[0].headers["Retry-After"] == "1"
    with application.state.sessions() as session:
        assert session.scalars(select(SignInAttempt)).all() == []


@pytest.mark.parametrize(
    ("password", "username", "display", "reason"),
    [
        ("sh0rt-9ch", "agent9", None, "至少 10 个字符"),
        ("agent-nine", "agent-nine", None, "不能与工号或姓名相同"),
        ("1234567890", "agent9", None, "太容易被猜到"),
        ("password123", "agent9", None, "太容易被猜到"),
        ("qwertyuiop", "agent9", None, "太容易被猜到"),
        ("wangfang2024", "agent9", "王芳", "太容易被猜到"),
        ("woaini1314520", "agent9", None, "太容易被猜到"),
        ("rexian12345", "agent9", None, "太容易被猜到"),
        ("aaaaaaaaaaaa", "agent9", None, "字符种类太少"),
    ],
)
def test_trivial_and_common_passwords_are_refused(password, username, display, reason):
    assert reason in (password_problem(password, username, display) or "")


def test_a_strong_password_is_accepted():
    assert password_problem("correct horse battery", "agent1", "王芳") is None
    assert password_problem("雨后青石板路很滑要慢走", "agent1", "王芳") is None


def test_the_rule_applies_to_create_admin_and_user_management(application):
    with (
        pytest.raises(AccountError, match="太容易被猜到"),
        db.transaction(application.state.sessions) as session,
    ):
        set_account(session, "boss", "password1234", [Role.ADMIN])
    admin = client(application)
    sign_in(admin, "admin1")
    body = {"username": "agent5", "display_name": "刘洋", "password": "liuyang12345",
            "roles": ["agent"]}  # fmt: skip
    refused = admin.post("/web/api/admin/users", json=body, headers=ORIGIN)
    assert refused.status_code == 422 and "太容易被猜到" in refused.json()["error"]
    body["password"] = "晚班交接记得锁柜 7x"
    assert admin.post("/web/api/admin/users", json=body, headers=ORIGIN).status_code == 200
    existing = admin.post(
        "/web/api/admin/users", json={**body, "username": "agent1"}, headers=ORIGIN
    )
    assert existing.status_code == 409


def signed_in_client(app: FastAPI, username: str, address: str = "192.0.2.30") -> TestClient:
    web = client(app, address)
    assert sign_in(web, username).status_code == 303
    assert web.get(probe(username)).status_code == 200
    return web


def probe(username: str) -> str:
    """A route the user's role may read."""
    return "/web/api/admin/users" if username.startswith("admin") else "/web/api/callbacks"


def test_a_password_change_ends_the_users_sessions(application):
    web = signed_in_client(application, "agent1")
    with db.transaction(application.state.sessions) as session:
        set_account(session, "agent1", "another long password", [Role.AGENT])
    assert web.get("/web/api/callbacks").status_code == 401


def test_a_deactivated_user_is_signed_out_everywhere(application):
    web = signed_in_client(application, "agent1")
    admin = signed_in_client(application, "admin1", "192.0.2.31")
    assert admin.post("/web/api/admin/users/agent1/deactivate", headers=ORIGIN).status_code == 200
    assert web.get("/web/api/callbacks").status_code == 401
    assert sign_in(client(application), "agent1").status_code == 401
    assert admin.post("/web/api/admin/users/admin1/deactivate", headers=ORIGIN).status_code == 409
    assert admin.post("/web/api/admin/users/ghost/deactivate", headers=ORIGIN).status_code == 404
    assert [e.actor for e in audited(application, "deactivate_account")] == ["admin1"]


def test_an_idle_session_ends_and_is_not_revived_by_signing_in_again(application, clock):
    web = signed_in_client(application, "agent1")
    clock.now = START + timedelta(minutes=59)
    assert web.get("/web/api/callbacks").status_code == 200  # seen again: the idle time restarts
    clock.now = START + timedelta(minutes=59 + 61)
    assert web.get("/web/api/callbacks").status_code == 401
    page = web.get("/web/agent", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/web/login")
    old = web.cookies[COOKIE]
    signed_in_client(application, "agent1", "192.0.2.40")
    replay = client(application)
    replay.cookies.set(COOKIE, old)
    assert replay.get("/web/api/callbacks").status_code == 401
    assert audited(application, "web_session_idle")


def test_an_open_console_is_closed_when_its_session_ends(application, monkeypatch):
    monkeypatch.setattr("crm.web.pages.SESSION_RECHECK_SECONDS", 0.1)
    web = signed_in_client(application, "agent1")
    with web.websocket_connect("/web/ws", headers=ORIGIN) as ws:
        assert ws.receive_json()["type"] == "hello"
        with db.transaction(application.state.sessions) as session:
            deactivate_account(session, "agent1", actor="admin1")
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_json()
    assert closed.value.code == 4401
