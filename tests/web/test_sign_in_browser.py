"""Sign-in and sign-out in headless Chromium against the real CRM served by uvicorn (no
Asterisk: nothing here rings a phone). The page runs under its Content-Security-Policy; a display
name that tries to end the page's data block is shown as text and runs nothing; a cookie kept
from before sign-out is refused by the API (401) and sends a page back to the sign-in form."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page

from crm import db
from crm.accounts.services import set_account
from crm.domain.access import Role
from crm.security import COOKIE
from hotline.settings import Settings, load_settings
from tests.support.crm_server import CrmServer
from tests.support.sipp import free_port

PASSWORD = "browser sign-in test 7"
EVIL_NAME = "</script><script>window.pwned=1</script>"


@pytest.fixture
def crm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("HOTLINE_CONFIG", str(tmp_path / "none.yaml"))
    settings = load_settings(var_dir=tmp_path, crm_port=free_port(socket.SOCK_STREAM))
    server = CrmServer(settings).start()
    engine = db.make_engine(settings.db_url)
    with db.transaction(db.make_sessionmaker(engine)) as session:
        set_account(
            session, "evil2", PASSWORD, [Role.AGENT], display_name=EVIL_NAME, extension="8001"
        )
    engine.dispose()
    try:
        yield settings
    finally:
        server.stop()


def sign_in_page(page: Page, base: str, username: str, lands_on: str) -> None:
    """Sign in through the form, as a person would, and wait for the console."""
    page.goto(f"{base}/web/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lands_on)


def test_markup_in_a_name_is_text_and_a_cookie_dies_at_sign_out(crm: Settings, browser: Browser):
    base = f"http://127.0.0.1:{crm.crm_port}"
    context = browser.new_context(locale="zh-CN")  # the page's own CSP enforced, no bypass
    try:
        page = context.new_page()
        violations: list[str] = []
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Security Policy" in m.text else None,
        )
        sign_in_page(page, base, "evil2", "**/web/agent")
        response = page.goto(f"{base}/web/agent")
        assert response is not None and response.status == 200
        csp = response.headers["content-security-policy"]
        [scripts] = [d.strip() for d in csp.split(";") if d.strip().startswith("script-src")]
        assert scripts == "script-src 'self'"
        page.wait_for_selector(".who")
        assert EVIL_NAME in (page.text_content(".who") or "")
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.evaluate("window.ME.display_name") == EVIL_NAME
        assert violations == []

        [cookie] = [c for c in context.cookies() if c["name"] == COOKIE]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        with httpx.Client(base_url=base, cookies={COOKIE: cookie["value"]}) as replay:
            assert replay.get("/web/api/agent").status_code == 200
            page.click("form[action='/web/logout'] button")
            page.wait_for_url("**/web/login")
            assert COOKIE not in {c["name"] for c in context.cookies()}
            refused = replay.get("/web/api/agent")
            assert refused.status_code == 401 and refused.json()["error"]
            again = replay.get("/web/agent", follow_redirects=False)
            assert again.status_code == 303
            assert again.headers["location"].startswith("/web/login")
        page.goto(f"{base}/web/agent")
        assert "/web/login" in page.url
    finally:
        context.close()


def test_an_admin_sees_a_lock_and_releases_it_in_user_management(crm: Settings, browser: Browser):
    base = f"http://127.0.0.1:{crm.crm_port}"
    engine = db.make_engine(crm.db_url)
    with db.transaction(db.make_sessionmaker(engine)) as session:
        set_account(session, "admin2", PASSWORD, [Role.ADMIN], display_name="钱管理")
    engine.dispose()
    with httpx.Client(base_url=base) as guesser:
        answers = [
            guesser.post("/web/login", data={"username": "evil2", "password": f"guess-{n}"})
            for n in range(5)
        ]
        assert answers[-1].status_code == 429
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        sign_in_page(page, base, "admin2", "**/web/admin")
        page.wait_for_selector("#locks li button")
        assert "evil2" in (page.text_content("#locks") or "")
        page.click("#locks li button")
        page.wait_for_selector("#locks li.muted")
    finally:
        context.close()
    with httpx.Client(base_url=base) as person:
        answer = person.post(
            "/web/login", data={"username": "evil2", "password": PASSWORD}, follow_redirects=False
        )
        assert answer.status_code == 303
