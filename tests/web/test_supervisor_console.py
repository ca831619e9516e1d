"""质检 with a real recorded, transcribed call: the list, the player (HTTP Range), the
transcript beside it; clicking a word moves the player; every play is audited; the wallboard
is pushed over the WebSocket."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import select

from crm import db
from crm.models import AuditEntry
from tests.integration.conftest import AGENT_ONE, AGENT_TWO, Hotline, finished
from tests.web.conftest import PASSWORD


def wait_transcribed(hotline: Hotline, number: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        call = hotline.calls_from(number)[0]
        try:
            data = hotline.api("GET", f"/api/calls/{call['uniqueid']}/transcript")
            if data["status"] in ("done", "failed"):
                return data
        except httpx.HTTPStatusError:
            pass
        time.sleep(0.5)
    raise AssertionError("the call was never transcribed")


def test_supervisor_plays_a_recording_and_seeks_by_clicking_a_word(hotline: Hotline, console):
    hotline.logout("8002")
    hotline.login(AGENT_ONE)
    phone = hotline.phone(AGENT_ONE)
    number, caller = hotline.call(keys="2", hold_ms=8000)
    assert finished(caller) == 0 and finished(phone) == 0
    hotline.logout(AGENT_ONE)
    result = wait_transcribed(hotline, number)
    assert result["status"] == "done", result
    uniqueid = hotline.calls_from(number)[0]["uniqueid"]

    qc = console("qc1")
    page = qc.open("/web/supervisor")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#tiles .tile")  # the wallboard arrived by push
    page.fill("#filters input[name=number]", number[-6:])
    page.click("#btn-search")
    row = page.locator(f"tr[data-uniqueid='{uniqueid}']")
    row.wait_for()
    assert number not in row.text_content()  # 质检 sees numbers masked
    assert number[:3] + "****" + number[-4:] in row.text_content()
    row.click()
    page.wait_for_selector("#transcript .w")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    starts = page.eval_on_selector_all("#transcript .w", "ws => ws.map(w => w.dataset.start)")
    latest = max(starts, key=float)
    start = float(latest)
    assert start > 0.5
    page.locator(f"#transcript .w[data-start='{latest}']").first.click()
    page.wait_for_function(
        f"Math.abs(document.getElementById('player').currentTime - {start}) < 1.0"
        " || document.getElementById('player').currentTime > " + str(start)
    )
    qc.screenshot("supervisor-console")

    # Full-text search over transcripts.
    word = page.text_content(f"#transcript .w[data-start='{latest}']").strip()
    page.fill("#filters input[name=q]", word)
    page.click("#btn-search")
    page.locator(f"tr[data-uniqueid='{uniqueid}']").wait_for()
    page.fill("#filters input[name=q]", "没有这句话")
    page.click("#btn-search")
    page.locator(f"tr[data-uniqueid='{uniqueid}']").wait_for(state="detached")

    # Range requests: the player can seek without downloading the whole file.
    cookies = {c["name"]: c["value"] for c in qc.context.cookies()}
    url = f"{hotline.settings.crm_url}/web/api/recordings/{uniqueid}/audio"
    whole = httpx.get(url, cookies=cookies)
    part = httpx.get(url, cookies=cookies, headers={"Range": "bytes=100-199"})
    assert whole.status_code == 200 and part.status_code == 206
    assert part.content == whole.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"
    assert httpx.get(url).status_code == 401  # never without a session

    engine = db.make_engine(hotline.settings.db_url)
    with db.make_sessionmaker(engine)() as session:
        plays = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "play_recording", AuditEntry.entity_id == uniqueid
            )
        ).all()
    engine.dispose()
    assert plays and all(p.actor == "qc1" for p in plays)
    assert PASSWORD  # the shared test password is what signed the console in


def test_supervisor_listens_to_an_agents_call_on_their_own_phone(hotline: Hotline, console):
    hotline.logout(AGENT_TWO)
    hotline.login(AGENT_ONE, ["consult"])
    agent_phone = hotline.phone(AGENT_ONE)
    number, caller = hotline.call(keys="2", hold_ms=14000)
    hotline.wait_for_call(number, lambda c: c["outcome"] == "answered", timeout=30)
    qc = console("qc2")
    page = qc.open("/web/supervisor")
    page.wait_for_selector(f"button[data-listen='{AGENT_ONE}']")
    supervisor_phone = hotline.phone(AGENT_TWO)
    page.click(f"button[data-listen='{AGENT_ONE}']")
    assert finished(caller) == 0 and finished(agent_phone) == 0
    # The supervisor's phone rang, listened, and was released when the agent's call ended.
    assert finished(supervisor_phone) == 0, supervisor_phone.output()
    hotline.logout(AGENT_ONE)
    engine = db.make_engine(hotline.settings.db_url)
    with db.make_sessionmaker(engine)() as session:
        listened = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "listen", AuditEntry.actor == "qc2")
        ).all()
    engine.dispose()
    assert [a.entity_id for a in listened] == [AGENT_ONE]
