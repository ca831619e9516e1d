"""The call as a live object in the agent console, in Chromium: a pop that arrives in several
frames (the ring, then the IVR's choice with its knowledge-base answers), 振铃 → 通话中 → 已挂机,
the call found again after a reload, what the rules made of the registration shown by the
buttons, and never a modal dialog. The hub is driven by call events posted as the FastAGI
server posts them (its service token), so the frames come in the order a test chooses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.sync_api import Page

from crm import db
from crm.accounts.services import set_account
from crm.domain.access import Role
from tests.integration.conftest import AGENT_ONE, Hotline

NUMBER = "13955501234"
OTHER_DESK = "8093"  # a second agent's desk; the events name it, no phone is needed


def post_events(
    hotline: Hotline, uniqueid: str, *events: dict[str, Any], at: datetime | None = None
) -> None:
    token = hotline.settings.crm_ingest_token
    assert token, "the test hotline has no FastAGI service token"
    at = at or datetime.now(UTC)
    batch = [
        {"event_id": f"{uniqueid}-{e['kind']}-{i}", "uniqueid": uniqueid,
         "occurred_at": (at + timedelta(milliseconds=i)).isoformat(), "caller_number": NUMBER, **e}
        for i, e in enumerate(events)
    ]  # fmt: skip
    response = httpx.post(
        f"{hotline.settings.crm_url}/api/call-events",
        json={"events": batch},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()


def no_dialogs(page: Page) -> list[str]:
    """Every dialog the page opens (alert, confirm, prompt), dismissed: a test asserts none."""
    seen: list[str] = []
    page.on("dialog", lambda d: (seen.append(d.message), d.dismiss()))
    return seen


def call_state(page: Page, state: str) -> None:
    page.wait_for_selector(f"#call-state[data-state='{state}']", timeout=15_000)


def test_a_pop_in_frames_presets_the_ivr_type_shows_kb_and_survives_a_reload(
    hotline: Hotline, console
):
    agent = console("agent1")
    page = agent.open("/web/agent")
    page.wait_for_selector("body[data-ready='1']")
    dialogs = no_dialogs(page)
    uniqueid = f"web-{uuid.uuid4().hex[:10]}"

    # First frame: the ring, before the IVR's choice reached the CRM.
    post_events(
        hotline, uniqueid,
        {"kind": "call_started"},
        {"kind": "queue_joined", "queue": "help"},
        {"kind": "agent_ringing", "queue": "help", "agent_interface": f"PJSIP/{AGENT_ONE}"},
    )  # fmt: skip
    page.wait_for_selector("#pop:not([hidden])")
    assert page.text_content("#pop-number") == NUMBER
    call_state(page, "ringing")
    assert "ring" in (page.get_attribute("#call-state", "class") or "")
    assert page.evaluate("document.activeElement.name") == "question"  # focus on 来电内容

    # Later frame: the IVR's choice (求助) with the knowledge base's answers for it.
    post_events(
        hotline, uniqueid,
        {"kind": "call_routed", "route": "queue", "queue": "help", "call_type": "help",
         "reason": "key", "key": "3", "label": "停水", "ivr_path": ["3"]},
    )  # fmt: skip
    page.wait_for_function("document.getElementById('f-type').value === 'help'")
    page.wait_for_selector("#kb-list li:has-text('停水停电怎么查询')")
    assert "停水" in page.text_content("#pop-ivr")

    # Answered: 通话中 with a running timer, no longer blinking.
    post_events(
        hotline, uniqueid, {"kind": "agent_answered", "agent_interface": f"PJSIP/{AGENT_ONE}"}
    )
    call_state(page, "talking")
    assert "ring" not in (page.get_attribute("#call-state", "class") or "")
    page.wait_for_function("/^00:0[1-9]/.test(document.getElementById('call-timer').textContent)")

    # The agent types, then reloads: the call, its state and what was typed come back.
    page.fill("textarea[name=question]", "家里停水两天了")
    page.fill("input[name=location]", "幸福路3号")
    page.press("input[name=location]", "Enter")  # Enter in a field does not register
    page.wait_for_timeout(300)
    assert page.text_content("#form-result") == ""
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#pop:not([hidden])")
    call_state(page, "talking")
    assert page.text_content("#pop-ticket").split()[-1]
    assert page.input_value("#f-type") == "help"
    assert page.input_value("textarea[name=question]") == "家里停水两天了"
    page.wait_for_selector("#kb-list li:has-text('停水停电怎么查询')")
    dialogs += no_dialogs(page)

    # The caller refuses a number: the rules make it a 意见建议 and give the script.
    page.fill("input[name=contact_number]", "")
    page.click("#btn-dispatch")
    page.wait_for_selector("#form-result[data-status]")
    result = page.text_content("#form-result")
    assert "已登记，待值班长派单" in result
    assert "意见建议" in page.text_content("#form-result .retyped")
    assert "无法跟踪回复" in page.text_content("#form-result .script")
    assert page.input_value("#f-type") == "suggestion"
    assert page.locator("#form-result").is_visible()
    box = page.locator("#form-result").bounding_box()
    assert box is not None and box["y"] < 768, "the outcome is below the fold"

    # Hung up: 已挂机 · 话后整理.
    post_events(
        hotline,
        uniqueid,
        {"kind": "agent_completed", "agent_interface": f"PJSIP/{AGENT_ONE}", "talk_seconds": 5},
    )
    call_state(page, "ended")
    assert "已挂机" in page.text_content("#call-state")
    assert dialogs == []


def test_errors_are_shown_by_the_buttons_in_chinese_and_never_as_a_dialog(
    hotline: Hotline, console
):
    agent = console("agent1")
    page = agent.open("/web/agent")
    page.wait_for_selector("body[data-ready='1']")
    dialogs = no_dialogs(page)
    uniqueid = f"web-{uuid.uuid4().hex[:10]}"
    post_events(
        hotline, uniqueid,
        {"kind": "call_started"},
        {"kind": "agent_ringing", "agent_interface": f"PJSIP/{AGENT_ONE}"},
    )  # fmt: skip
    page.wait_for_selector("#pop:not([hidden])")
    # On a short screen the buttons and their messages stay in view (the pop card scrolls).
    page.set_viewport_size({"width": 1366, "height": 560})
    page.click("#btn-register")  # nothing written: the server's refusal, in Chinese
    page.wait_for_function("document.getElementById('form-error').textContent.includes('来电内容')")
    for shown in ("#btn-register", "#form-error"):
        box = page.locator(shown).bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 560, (shown, box)
    page.set_viewport_size({"width": 1366, "height": 768})
    assert "at least" not in page.text_content("#form-error")

    page.fill("textarea[name=question]", "问一下")
    agent.context.set_offline(True)
    try:
        page.click("#btn-register")
        page.wait_for_function(
            "document.getElementById('form-error').textContent.includes('网络中断')"
        )
    finally:
        agent.context.set_offline(False)
    assert "Failed to fetch" not in page.text_content("#form-error")
    assert page.input_value("textarea[name=question]") == "问一下"  # nothing typed is lost

    # A call whose caller hung up before anyone answered stops ringing.
    post_events(hotline, uniqueid, {"kind": "call_ended", "hangup_cause": 16})
    call_state(page, "missed")
    assert dialogs == []
    assert "alert(" not in page.evaluate("Array.from(document.scripts).map((s) => s.src).join(' ')")


def test_no_console_script_opens_a_dialog(hotline: Hotline):
    """The consoles report through the page (status lines, a toast), never alert()/confirm():
    a modal dialog stops the whole console, pops included, until someone clicks it away."""
    for name in ("app", "agent", "leader", "supervisor", "admin"):
        source = httpx.get(f"{hotline.settings.crm_url}/web/static/{name}.js", timeout=10).text
        for call in ("alert(", "confirm(", "prompt("):
            assert call not in source.replace("window.alert", ""), (name, call)


def test_a_call_another_desk_answered_is_shown_as_taken(hotline: Hotline, console, staff):
    """A ring-all queue rings several desks; once one answers, the others stop ringing."""
    engine = db.make_engine(hotline.settings.db_url)
    with db.transaction(db.make_sessionmaker(engine)) as session:
        set_account(
            session, "agent2", staff["agent1"], [Role.AGENT], display_name="李娜",
            extension=OTHER_DESK,
        )  # fmt: skip
    engine.dispose()
    pages = {}
    for name in ("agent1", "agent2"):
        pages[name] = console(name).open("/web/agent")
        pages[name].wait_for_selector("body[data-ready='1']")
    uniqueid = f"web-{uuid.uuid4().hex[:10]}"
    post_events(
        hotline, uniqueid,
        {"kind": "call_started"},
        {"kind": "agent_ringing", "agent_interface": f"PJSIP/{AGENT_ONE}"},
        {"kind": "agent_ringing", "agent_interface": f"PJSIP/{OTHER_DESK}"},
    )  # fmt: skip
    for page in pages.values():
        call_state(page, "ringing")
    post_events(
        hotline, uniqueid, {"kind": "agent_answered", "agent_interface": f"PJSIP/{OTHER_DESK}"}
    )
    call_state(pages["agent2"], "talking")
    call_state(pages["agent1"], "taken")
    assert "ring" not in (pages["agent1"].get_attribute("#call-state", "class") or "")


def test_a_deadline_in_a_year_without_its_published_calendar_reads_expected(
    hotline: Hotline, console
):
    """A complaint taken on 30 December 2026 is due in January 2027, whose official holiday
    schedule is not published: the deadline is provisional, and the console says 预计."""
    agent = console("agent1")
    page = agent.open("/web/agent")
    page.wait_for_selector("body[data-ready='1']")
    uniqueid = f"web-{uuid.uuid4().hex[:10]}"
    post_events(
        hotline, uniqueid,
        {"kind": "call_started"},
        {"kind": "agent_ringing", "agent_interface": f"PJSIP/{AGENT_ONE}"},
        at=datetime(2026, 12, 30, 2, 0, tzinfo=UTC),
    )  # fmt: skip
    page.wait_for_selector("#pop:not([hidden])")
    page.select_option("#f-type", "complaint")
    page.fill("textarea[name=question]", "窗口工作人员推诿不办")
    page.fill("input[name=target]", "某区政务服务中心窗口")
    page.click("#btn-register")
    page.wait_for_selector("#form-result[data-status]")
    due = page.text_content("#form-result .due")
    assert due and due.startswith("答复期限："), due
    assert page.text_content("#form-result .due .provisional") == "（预计）"
    post_events(hotline, uniqueid, {"kind": "call_ended", "hangup_cause": 16}, at=datetime.now(UTC))
    call_state(page, "missed")
