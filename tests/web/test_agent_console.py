"""The agent's screen pop with a real call: Asterisk rings the agent's sipp phone, the pop is
drawn in headless Chromium, the agent registers and dispatches, the ticket is in the database.
A masked role's WebSocket frames never carry the caller's number."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select

from crm import db
from crm.accounts.services import set_account
from crm.domain.access import Role
from crm.models import CallbackAttempt, Ticket
from crm.models.workorders import TicketDetail, WorkOrder
from crm.security import COOKIE
from tests.integration.conftest import AGENT_ONE, Hotline, finished


def ticket_row(hotline: Hotline, number: str) -> tuple[Ticket, TicketDetail | None]:
    engine = db.make_engine(hotline.settings.db_url)
    with db.make_sessionmaker(engine)() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        detail = session.get(TicketDetail, ticket.id)
    engine.dispose()
    return ticket, detail


def test_agent_signs_in_the_call_pops_and_is_dispatched(hotline: Hotline, console):
    hotline.logout(AGENT_ONE)
    hotline.logout("8002")
    agent = console("agent1")
    page = agent.open("/web/agent")
    page.wait_for_selector("body[data-ready='1']")
    page.click("#btn-sign-in")
    page.wait_for_function("document.getElementById('agent-state').dataset.state === 'ready'")
    qc = console("qc1")
    qc.open("/web/supervisor")

    phone = hotline.phone(AGENT_ONE, ring_ms=4000)
    number, caller = hotline.call(keys="2", hold_ms=9000)
    page.wait_for_selector("#pop:not([hidden])", timeout=30_000)
    assert page.text_content("#pop-number") == number
    assert "咨询" in page.text_content("#pop-ivr")
    ticket_number = page.text_content("#pop-ticket").split()[-1]
    agent.screenshot("agent-console")

    # The agent's phone answers: 通话中, the timer runs, the ring badge stops blinking.
    page.wait_for_selector("#call-state[data-state='talking']", timeout=20_000)
    assert "ring" not in (page.get_attribute("#call-state", "class") or "")
    page.wait_for_function(
        "/^\\d\\d:\\d\\d$/.test(document.getElementById('call-timer').textContent)"
    )

    page.select_option("#f-type", "help")
    page.click("#btn-dispatch")  # nothing written: the server's refusal, by the buttons
    page.wait_for_function("document.getElementById('form-error').textContent.includes('来电内容')")
    page.fill("textarea[name=question]", "小区路灯坏了三盏，晚上很黑")
    page.fill("input[name=location]", "幸福路12号小区东门")
    page.select_option("#f-unit", index=1)
    page.click("#btn-dispatch")
    page.wait_for_selector("#form-result[data-status]")
    assert "待值班长派单" in page.text_content("#form-result")  # an agent's order: the leader's
    assert finished(caller) == 0, caller.output()
    assert finished(phone) == 0, phone.output()
    page.wait_for_selector("#call-state[data-state='ended']", timeout=20_000)
    assert "已挂机" in page.text_content("#call-state")

    ticket, detail = ticket_row(hotline, ticket_number)
    assert detail is not None and detail.call_type == "help"
    assert (
        detail.question == "小区路灯坏了三盏，晚上很黑" and detail.location == "幸福路12号小区东门"
    )
    assert detail.contact_number == number and detail.body_unit_id is not None
    assert detail.taken_by == "agent1"

    pops = [json.loads(f) for f in agent.frames() if '"pop"' in f]
    assert any(f["pop"]["caller_number"] == number for f in pops if f["type"] == "pop")
    for frame in qc.frames():
        assert number not in frame and number[-4:] not in frame or "****" in frame
        assert number not in frame

    # The shift leader finds it in the dispatch queue and dispatches it to the unit.
    leader = console("leader1")
    lpage = leader.open("/web/leader")
    lpage.wait_for_selector("body[data-ready='1']")
    row = lpage.locator(f"tr[data-ticket='{ticket_number}']")
    row.wait_for()
    assert number in row.text_content()  # a shift leader handles callers: unmasked
    assert "求助" in row.text_content()
    leader.screenshot("leader-console")
    row.locator("button[data-action=dispatch]").click()
    row.wait_for(state="detached")
    engine = db.make_engine(hotline.settings.db_url)
    with db.make_sessionmaker(engine)() as session:
        orders = session.scalars(select(WorkOrder).where(WorkOrder.ticket_id == ticket.id)).all()
        status = session.get(Ticket, ticket.id).status
    engine.dispose()
    assert len(orders) == 1 and orders[0].dispatched_by == "leader1"
    assert status == "dispatched"
    lpage.click("button[data-view=open]")
    lpage.locator(f"tr[data-ticket='{ticket_number}'] button[data-action=redispatch]").wait_for()
    hotline.logout(AGENT_ONE)


def test_an_emergency_shows_on_every_console_masked_for_the_supervisor(hotline: Hotline, console):
    agent = console("agent1")
    agent_page = agent.open("/web/agent")
    qc = console("qc1")
    qc_page = qc.open("/web/supervisor")
    centre = hotline.emergency_centre()
    number, caller = hotline.call(keys="1", hold_ms=3000, speech=False)
    for page in (agent_page, qc_page):
        page.wait_for_selector("#emergency-bar:not([hidden])", timeout=20_000)
    assert number in agent_page.text_content("#emergency-bar")
    masked = number[:3] + "****" + number[-4:]
    assert masked in qc_page.text_content("#emergency-bar")
    assert finished(caller) == 0 and finished(centre) == 0
    emergency_frames = [f for f in qc.frames() if '"emergency"' in f]
    assert emergency_frames and all(number not in f for f in qc.frames())
    assert any(masked in f for f in emergency_frames)


def test_pause_and_one_click_call_back_from_the_agents_phone(hotline: Hotline, console):
    hotline.logout(AGENT_ONE)
    hotline.logout("8002")
    number, caller = hotline.call(keys="4", hold_ms=4000)  # nobody on complaints: abandoned
    assert finished(caller) == 0, caller.output()
    hotline.wait_for_call(number, lambda c: c["ticket"]["callback_needed"])

    agent = console("agent1")
    page = agent.open("/web/agent")
    page.wait_for_selector("body[data-ready='1']")
    page.click("#btn-sign-in")
    page.wait_for_function("document.getElementById('agent-state').dataset.state === 'ready'")
    page.click("#btn-pause")
    page.wait_for_function("document.getElementById('agent-state').dataset.state === 'paused'")
    assert [a for a in hotline.api("GET", "/api/agents") if a["extension"] == AGENT_ONE][0][
        "paused"
    ]
    page.click("#btn-ready")
    page.wait_for_function("document.getElementById('agent-state').dataset.state === 'ready'")

    entry = page.locator("#callbacks li", has_text=number)
    entry.wait_for()
    # First try: the citizen's line is busy. The ticket stays on the list, with the attempt.
    phone = hotline.phone(AGENT_ONE)
    citizen = hotline.citizen_busy()
    entry.locator("button").click()
    page.wait_for_selector(f"#callbacks li:has-text('{number}') >> text=正在回拨")
    assert finished(citizen) == 0, "the citizen was not called:\n" + citizen.output()
    assert finished(phone) == 0, phone.output()
    page.wait_for_selector(f"#callbacks li:has-text('{number}') >> text=已回拨 1 次：对方忙")
    assert number in [t["caller_number"] for t in hotline.api("GET", "/api/callbacks")]

    # Again: Asterisk rings the agent's own phone (AMI Originate), then the citizen's number
    # through the carrier trunk; the citizen answers, talks and hangs up: off the list.
    phone = hotline.phone(AGENT_ONE)
    citizen = hotline.citizen_answers(number)
    page.locator("#callbacks li", has_text=number).locator("button").click()
    assert finished(citizen) == 0, "the citizen was not called back:\n" + citizen.output()
    assert finished(phone) == 0, phone.output()
    page.wait_for_function(
        f"!document.getElementById('callbacks').textContent.includes('{number}')"
    )
    with db.transaction(db.make_sessionmaker(db.make_engine(hotline.settings.db_url))) as s:
        attempts = s.scalars(
            select(CallbackAttempt)
            .join(Ticket, Ticket.id == CallbackAttempt.ticket_id)
            .where(Ticket.caller_number == number)
            .order_by(CallbackAttempt.id)
        ).all()
        assert [(a.status, a.agent_extension) for a in attempts] == [
            ("BUSY", AGENT_ONE),
            ("ANSWER", AGENT_ONE),
        ]
        assert attempts[1].talk_seconds is not None and attempts[1].talk_seconds >= 1
        answered = attempts[1]
    hotline.logout(AGENT_ONE)
    assert number not in [t["caller_number"] for t in hotline.api("GET", "/api/callbacks")]

    # The call-back was recorded; a supervisor plays it under the call it followed.
    assert answered.recording_path
    assert hotline.settings.in_chroot(answered.recording_path).stat().st_size > 16_000
    qc = console("qc1").open("/web/supervisor")
    qc.wait_for_selector("body[data-ready='1']")
    qc.fill("input[name=number]", number)
    qc.click("#btn-search")
    qc.wait_for_function("document.querySelectorAll('#rec-rows tr').length === 1")
    qc.click("#rec-rows tr")
    qc.wait_for_function("document.querySelectorAll('#callbacks-of li').length === 2")
    assert "对方忙" in qc.text_content("#callbacks-of li:first-child")
    qc.click(f"#callbacks-of li[data-attempt='{answered.id}'] button[data-action=play-callback]")
    qc.wait_for_function("document.getElementById('player').duration > 1")
    src = qc.eval_on_selector("#player", "p => p.src")
    assert src.endswith(f"/web/api/callbacks/attempts/{answered.id}/audio")
    status, kind = qc.evaluate(
        "(src) => fetch(src, { headers: { Range: 'bytes=100-199' } })"
        ".then((r) => [r.status, r.headers.get('content-type')])",
        src,
    )
    assert (status, kind) == (206, "audio/wav")


EVIL_NAME = "</script><script>alert(1)</script>"


def test_the_consoles_work_under_their_csp_and_a_name_with_markup_is_text(
    hotline: Hotline, browser, staff
):
    """Opened with the Content-Security-Policy enforced (no harness bypass, no eval probes): the
    pages read their data, connect their WebSocket and break no directive; a display name with
    a script tag is shown as text and runs nothing."""
    engine = db.make_engine(hotline.settings.db_url)
    with db.transaction(db.make_sessionmaker(engine)) as session:
        roles = [Role.SUPERVISOR, Role.SHIFT_LEADER, Role.ADMIN]
        set_account(session, "evil1", staff["qc1"], roles, display_name=EVIL_NAME)
    engine.dispose()
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        dialogs: list[str] = []
        refused: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on(
            "console", lambda m: refused.append(m.text) if "Security Policy" in m.text else None
        )
        base = hotline.settings.crm_url
        page.goto(f"{base}/web/login")
        page.fill("input[name=username]", "evil1")
        page.fill("input[name=password]", staff["qc1"])
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        for console_path in ("/web/supervisor", "/web/leader", "/web/admin"):
            response = page.goto(f"{base}{console_path}")
            assert response is not None
            csp = response.headers["content-security-policy"]
            assert "script-src 'self';" in csp and response.headers["x-frame-options"] == "DENY"
            page.wait_for_selector("#link-state.dot.on")  # app.js ran, the WebSocket is up
            page.wait_for_load_state("networkidle")
            assert EVIL_NAME in (page.text_content(".who") or "")
            assert page.evaluate("window.ME.display_name") == EVIL_NAME
            assert page.text_content("main") != page.evaluate("window.T.loading"), console_path
        assert dialogs == [] and refused == []
    finally:
        context.close()


def test_signing_out_in_the_browser_ends_the_session_on_the_server(
    hotline: Hotline, console, staff
):
    engine = db.make_engine(hotline.settings.db_url)
    with db.transaction(db.make_sessionmaker(engine)) as session:
        set_account(session, "leaver1", staff["qc1"], [Role.SUPERVISOR], display_name="离岗")
    engine.dispose()
    tab = console("leaver1")
    tab.open("/web/supervisor")
    [cookie] = [c for c in tab.context.cookies() if c["name"] == COOKIE]
    replay = {COOKIE: cookie["value"]}
    with httpx.Client(base_url=tab.base, cookies=replay) as client:
        assert client.get("/api/calls").status_code == 200
        tab.page.click("form[action='/web/logout'] button")
        tab.page.wait_for_url("**/web/login")
        refused = client.get("/api/calls")
        assert refused.status_code == 401 and refused.json()["error"]
