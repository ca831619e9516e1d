"""Every service is supervised: killed with SIGKILL during calls, it is back within 10 s by
itself, calls in progress keep going, and the tickets match Asterisk's own call records."""

from __future__ import annotations

import csv
import os
import signal
import time

import pytest

from hotlinectl import services
from tests.integration.conftest import Hotline, finished
from tests.support.instance import AGENT_ONE

pytestmark = pytest.mark.asterisk

BACK_WITHIN_SECONDS = 10


def ended(call: dict[str, object]) -> bool:
    return call["ended_at"] is not None


def wait_for_new_pid(hotline: Hotline, name: str, killed: int) -> float:
    """Seconds until the service runs again under a new pid and answers on its port."""
    started = time.monotonic()
    service = services.services(hotline.settings)[name]
    while time.monotonic() - started < BACK_WITHIN_SECONDS:
        pid = services.pid_of(hotline.settings, name)
        answers = service.port is None or services.wait_for_port(
            hotline.settings.bind_address, service.port, 0.2
        )
        if pid and pid != killed and answers:
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"{name} was not back within {BACK_WITHIN_SECONDS} s")


def cdr_uniqueids(hotline: Hotline, number: str, timeout: float = 10) -> set[str]:
    """The citizen's calls as Asterisk's CDR (cdr_csv, loguniqueid) records them; a record is
    written shortly after the channel is gone."""
    master = hotline.settings.instance_host_dir / "log" / "cdr-csv" / "Master.csv"
    deadline = time.monotonic() + timeout
    while True:
        found = set()
        if master.exists():
            with master.open(newline="", encoding="utf-8", errors="replace") as rows:
                found = {
                    row[16]
                    for row in csv.reader(rows)
                    if len(row) > 16 and row[1] == number and row[5].startswith("PJSIP/citizens-")
                }
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.mark.parametrize("name", ["crm", "agi", "transcriber"])
def test_a_killed_service_comes_back_and_the_call_goes_on(agents: Hotline, name: str) -> None:
    killed = services.pid_of(agents.settings, name)
    assert killed is not None
    agents.login(AGENT_ONE)
    phone = agents.phone(AGENT_ONE)
    number, caller = agents.call(keys="3", hold_ms=7000, speech=False)
    time.sleep(2.5)  # the call is with the agent now
    os.kill(killed, signal.SIGKILL)
    wait_for_new_pid(agents, name, killed)
    assert finished(caller) == 0, caller.output()
    assert finished(phone) == 0, phone.output()
    call = agents.wait_for_call(number, ended, timeout=60)
    assert call["outcome"] == "answered"
    # One ticket per call Asterisk recorded: none missing, none twice.
    assert len(agents.calls_from(number)) == len(cdr_uniqueids(agents, number)) == 1


def test_a_killed_asterisk_comes_back_and_takes_calls(agents: Hotline) -> None:
    killed = services.pid_of(agents.settings, "asterisk")
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    wait_for_new_pid(agents, "asterisk", killed)
    deadline = time.monotonic() + 30
    while not agents.api("GET", "/healthz")["ami"] and time.monotonic() < deadline:
        time.sleep(0.2)
    agents.login(AGENT_ONE, ["general", "consult", "help"])
    phone = agents.phone(AGENT_ONE)
    number, caller = agents.call(keys="3", hold_ms=4000, speech=False)
    assert finished(caller) == 0 and finished(phone) == 0, phone.output()
    assert agents.wait_for_call(number, ended)["outcome"] == "answered"
    assert len(agents.calls_from(number)) == len(cdr_uniqueids(agents, number)) == 1
