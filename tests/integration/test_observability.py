"""Every service's /metrics moves with real calls, and what goes wrong is said where people
look: a recording Asterisk could not write is on the ticket, in the API and on the wallboard."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import connect

from crm import db
from crm.accounts.services import set_account
from crm.domain.access import Role
from crm.security import COOKIE
from tests.integration.conftest import Hotline, finished
from tests.support.instance import AGENT_ONE

pytestmark = pytest.mark.asterisk

PASSWORD = "observer-password-1"


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page, parsed by prometheus-client's own parser."""
    text = httpx.get(url, timeout=10).raise_for_status().text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def endpoints(hotline: Hotline) -> dict[str, str]:
    s = hotline.settings
    return {
        "crm": s.crm_url,
        "agi": f"http://{s.bind_address}:{s.agi_metrics_port}",
        "transcriber": f"http://{s.bind_address}:{s.transcriber_metrics_port}",
    }


def eventually(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the figure never moved")
        time.sleep(0.5)


def ended(call: dict[str, object]) -> bool:
    return call["ended_at"] is not None


def test_each_services_metrics_move_with_a_real_call(agents: Hotline) -> None:
    urls = endpoints(agents)
    for url in urls.values():  # the transcriber is healthy once its model is loaded
        eventually(lambda url=url: httpx.get(f"{url}/healthz", timeout=10).status_code == 200)
    crm_before = scrape(f"{urls['crm']}/metrics")
    agi_before = scrape(f"{urls['agi']}/metrics")
    done = ("hotline_transcription_jobs", (("status", "done"),))
    jobs_before = scrape(f"{urls['transcriber']}/metrics").get(done, 0)

    agents.login(AGENT_ONE)
    phone = agents.phone(AGENT_ONE)
    number, caller = agents.call(keys="3", hold_ms=4000)
    assert finished(caller) == 0 and finished(phone) == 0, phone.output()
    agents.wait_for_call(number, ended)

    answered = ("hotline_calls_total", (("outcome", "answered"), ("route", "queue")))
    waits = ("hotline_queue_wait_seconds_count", ())
    crm = scrape(f"{urls['crm']}/metrics")
    assert crm[answered] == crm_before.get(answered, 0) + 1
    assert crm[waits] == crm_before.get(waits, 0) + 1
    assert crm[("hotline_ami_connected", ())] == 1
    started = ("hotline_agi_events_total", (("kind", "call_started"),))
    eventually(
        lambda: scrape(f"{urls['agi']}/metrics").get(started, 0) > agi_before.get(started, 0)
    )
    eventually(lambda: scrape(f"{urls['transcriber']}/metrics").get(done, 0) > jobs_before)
    transcriber = scrape(f"{urls['transcriber']}/metrics")
    assert transcriber[("hotline_speech_model_loaded", ())] == 1
    assert transcriber[("hotline_transcription_real_time_factor_count", ())] >= 1


def test_a_recording_asterisk_cannot_write_is_said_on_the_ticket_and_the_wallboard(
    agents: Hotline,
) -> None:
    # The day's folder, as Asterisk (UTC in its root) names it, made unwritable for Asterisk.
    recordings = agents.settings.in_chroot(agents.settings.recordings_dir)
    day = recordings / datetime.now(UTC).strftime("%Y/%m/%d")
    day.mkdir(parents=True, exist_ok=True)
    mode = day.stat().st_mode
    day.chmod(0o555)
    try:
        agents.login(AGENT_ONE)
        phone = agents.phone(AGENT_ONE)
        number, caller = agents.call(keys="3", hold_ms=3000, speech=False)
        assert finished(caller) == 0 and finished(phone) == 0, phone.output()
        call = agents.wait_for_call(number, lambda c: c["ended_at"] and c["recording_failed"])
    finally:
        day.chmod(mode)
    refused = httpx.get(
        f"{agents.settings.crm_url}/api/calls/{call['uniqueid']}/transcript",
        headers=agents.token,
        timeout=10,
    )
    assert refused.status_code == 404 and "录音未能保存" in refused.json()["error"]
    board = wallboard_of(agents)
    assert any(
        a["kind"] == "recording_missing" and call["ticket"]["number"] in a["message"]
        for a in board["alerts"]
    ), board["alerts"]


def wallboard_of(hotline: Hotline) -> dict[str, Any]:
    """The wallboard as a supervisor's console receives it over the WebSocket."""
    engine = db.make_engine(hotline.settings.db_url)
    with db.transaction(db.make_sessionmaker(engine)) as session:
        set_account(session, "qc-observer", PASSWORD, [Role.SUPERVISOR], display_name="质检")
    engine.dispose()
    signed_in = httpx.post(
        f"{hotline.settings.crm_url}/web/login",
        data={"username": "qc-observer", "password": PASSWORD},
        follow_redirects=False,
    )
    cookie = signed_in.cookies.get(COOKIE)
    assert cookie, signed_in.text
    url = f"ws://{hotline.settings.bind_address}:{hotline.settings.crm_port}/web/ws"
    with connect(
        url, additional_headers={"Cookie": f"{COOKIE}={cookie}", "Origin": hotline.settings.crm_url}
    ) as ws:
        while True:
            frame = json.loads(ws.recv(timeout=10))
            if frame["type"] == "wallboard":
                return frame["board"]  # type: ignore[no-any-return]


def test_asterisks_own_metrics_answer_only_with_the_password(hotline: Hotline) -> None:
    s = hotline.settings
    url = f"http://{s.bind_address}:{s.asterisk_metrics_port}/metrics"
    assert httpx.get(url, timeout=10).status_code == 401
    wrong = httpx.get(url, auth=(s.asterisk_metrics_user, "guess"), timeout=10)
    assert wrong.status_code == 401
    answer = httpx.get(url, auth=(s.asterisk_metrics_user, s.asterisk_metrics_secret), timeout=10)
    assert answer.status_code == 200
    names = {family.name for family in text_string_to_metric_families(answer.text)}
    assert {"asterisk_core_uptime_seconds", "asterisk_channels_count"} <= names, sorted(names)
