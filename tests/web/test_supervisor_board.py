"""The 质检 wallboard and figures in Chromium against the real hotline: a waiting caller's wait
and an agent's talk time tick every second, an agent in a call reads 通话中 with their name,
queues read by label, and the figures chart is drawn by the hotline's own copy of ECharts with
no request leaving the hotline. The call is posted as the FastAGI server posts its events."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import Dialog, Page, Route

from tests.integration.conftest import Hotline
from tests.support.instance import AGENT_ONE

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def post_events(hotline: Hotline, *events: dict[str, object]) -> None:
    token = hotline.settings.crm_ingest_token
    answer = httpx.post(
        f"{hotline.settings.crm_url}/api/call-events",
        json={"events": list(events)},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def event(kind: str, uniqueid: str, n: int, **fields: object) -> dict[str, object]:
    return {
        "kind": kind,
        "event_id": f"{uniqueid}-{n}",
        "uniqueid": uniqueid,
        "caller_number": "13700001122",
        "occurred_at": datetime.now(UTC).isoformat(),
        **fields,
    }


@pytest.fixture
def waiting_call(hotline: Hotline) -> Iterator[str]:
    """A caller queued in hotline-general (Asterisk's name of the 综合服务 menu queue); hung up
    at the end so the other tests' wallboards are empty again."""
    uniqueid = f"wb-{time.time():.0f}.1"
    post_events(
        hotline,
        event("call_started", uniqueid, 1),
        event("queue_joined", uniqueid, 2, queue="hotline-general", position=1),
    )
    yield uniqueid
    post_events(hotline, event("call_ended", uniqueid, 9, route="queue"))


def guard(page: Page) -> tuple[list[str], list[str]]:
    """Requests to any host but the hotline's are refused and listed; dialogs listed."""
    outside: list[str] = []
    dialogs: list[str] = []

    def check(route: Route) -> None:
        host = urlparse(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.route("**/*", check)
    page.on("dialog", dismiss)
    return outside, dialogs


def tile(page: Page, key: str) -> str:
    return page.text_content(f"#tiles [data-k={key}] .v") or ""


def test_waits_and_talk_times_tick_and_agents_read_by_name(hotline: Hotline, waiting_call, console):  # type: ignore[no-untyped-def]
    tab = console("qc1")
    outside, dialogs = guard(tab.page)
    errors: list[str] = []
    tab.page.on("pageerror", lambda e: errors.append(str(e)))
    page = tab.open("/web/supervisor")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#board-queues tr[data-queue]")
    first = tile(page, "longest_wait")
    page.wait_for_timeout(2200)
    assert tile(page, "longest_wait") != first, first  # grows with no event in between
    queues = page.text_content("#board-queues") or ""
    assert "综合服务" in queues and "hotline-general" not in page.text_content("#supervisor-root")

    # The agent answers: their chip reads 通话中 with their name, and the talk time grows.
    phone = {"queue": "hotline-general", "agent_interface": f"PJSIP/{AGENT_ONE}"}
    post_events(
        hotline,
        event("agent_ringing", waiting_call, 3, **phone),
        event("agent_answered", waiting_call, 4, hold_seconds=3, **phone),
    )
    chip = page.locator(f"#board-agents [data-extension='{AGENT_ONE}']")
    page.wait_for_selector(f"#board-agents [data-extension='{AGENT_ONE}'][data-state=talking]")
    text = chip.text_content() or ""
    assert "王芳" in text and AGENT_ONE in text and "通话中" in text and "空闲" not in text
    talk = chip.locator(".timer").text_content()
    page.wait_for_timeout(2200)
    assert chip.locator(".timer").text_content() != talk
    assert outside == [] and dialogs == [] and errors == []


def test_figures_chart_is_drawn_by_the_local_echarts(hotline: Hotline, console):  # type: ignore[no-untyped-def]
    tab = console("qc1")
    outside, dialogs = guard(tab.page)
    scripts: list[str] = []
    tab.page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page = tab.open("/web/supervisor")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#fig-chart[data-drawn] canvas")
    assert page.evaluate("() => typeof echarts.init") == "function"
    local = f"{hotline.settings.crm_url}/web/static/vendor/echarts/echarts.common.min.js"
    assert local in scripts
    headers = page.locator("#figures thead").text_content() or ""
    for name in ("接听率", "解决率", "满意度", "按时反馈率", "重复报修率"):
        assert name in headers
    # Another period and grouping redraw it.
    for period in ("1", "30"):
        before = page.get_attribute("#fig-chart", "data-drawn")
        page.select_option("#fig-period", period)
        page.wait_for_timeout(300)
        assert page.locator("#fig-chart canvas").count() >= 1, before
    page.select_option("#fig-by", "type")
    page.wait_for_timeout(300)
    assert page.locator("#fig-chart canvas").count() >= 1
    assert page.text_content("#fig-msg") == ""
    assert outside == [] and dialogs == []
