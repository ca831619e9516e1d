"""Desk phones that register with a password (what ``hotline setup`` generates for an agent
without a fixed contact): digest registration against the real Asterisk, the queue ringing the
registered phone, and an agent's identity refused to anyone without the password."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator

import pytest

from hotline.asterisk import AsteriskProcess
from hotline.settings import PROJECT_ROOT
from tests.integration.conftest import AGENT_ONE, STRANGER, Hotline, finished
from tests.support.instance import isolated_hotline
from tests.support.sipp import (
    answerer_scenario,
    free_port,
    register_scenario,
    run_scenario,
)

DESK = "8003"
PASSWORD = "desk-phone-secret-8003"
# Desk phones sit on the LAN, not at the carrier trunk's address (127.0.0.1): a request from
# the trunk is a citizen's call whatever its From says.
DESK_ADDRESS = "127.0.0.6"
# Someone guessing the desk phone's password.
GUESSER = "127.0.0.7"


@pytest.fixture(scope="module")
def desk_hotline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    root = tmp_path_factory.mktemp("desk-phones")
    agents = [
        {"extension": AGENT_ONE, "name": "话务员一", "contact": f"sip:{AGENT_ONE}@127.0.0.1:9"},
        {"extension": DESK, "name": "话务员三", "skills": ["general", "consult"],
         "password": PASSWORD},
    ]  # fmt: skip
    with isolated_hotline(root, agents=agents, rtp_start=41000, rtp_end=41398) as instance:
        yield Hotline.of(instance)


def register(hotline: Hotline, port: int, password: str, expect: int) -> int:
    sipp = run_scenario(
        hotline.workdir / f"register-{port}-{expect}",
        register_scenario(DESK, password, expect),
        port=port,
        target=f"127.0.0.1:{hotline.settings.sip_port}",
        local_ip=DESK_ADDRESS,
    )
    code = finished(sipp, timeout=30)
    assert code == 0, sipp.output()
    return code


def contacts(hotline: Hotline) -> str:
    return AsteriskProcess(hotline.settings).cli(f"pjsip show aor {DESK}")


def test_a_phone_registers_with_its_password_and_the_queue_rings_it(desk_hotline: Hotline):
    hotline = desk_hotline
    port = free_port()
    register(hotline, port, "wrong-password", expect=401)
    assert f"{DESK_ADDRESS}:{port}" not in contacts(hotline)
    register(hotline, port, PASSWORD, expect=200)
    assert f"sip:{DESK}@{DESK_ADDRESS}:{port}" in contacts(hotline)

    hotline.login(DESK, ["consult"])
    try:
        phone = run_scenario(
            hotline.workdir / "desk-phone", answerer_scenario(), port=port, local_ip=DESK_ADDRESS
        )
        number, caller = hotline.call(keys="2", hold_ms=4000)
        assert finished(caller) == 0, caller.output()
        assert finished(phone) == 0, "the registered phone never rang:\n" + phone.output()
        call = hotline.wait_for_call(number, lambda c: c["ended_at"] is not None)
        assert call["queue"] == "consult" and call["agent_interface"] == f"PJSIP/{DESK}"
        assert call["outcome"] == "answered"
    finally:
        hotline.logout(DESK)


def test_a_call_in_an_agents_name_without_the_password_is_challenged(desk_hotline: Hotline):
    hotline = desk_hotline
    impostor = hotline.call_refused(
        hotline.settings.hotline_number, status=401, caller=DESK, local_ip=STRANGER
    )
    assert finished(impostor) == 0, "an agent's identity was not challenged:\n" + impostor.output()


FILTER = PROJECT_ROOT / "deploy" / "fail2ban" / "filter.d" / "hotline-asterisk.conf"


def test_guessed_passwords_are_in_the_security_log_and_fail2ban_finds_them(desk_hotline: Hotline):
    hotline = desk_hotline
    security_log = hotline.settings.instance_host_dir / "log" / "security.log"
    before = security_log.read_text() if security_log.exists() else ""
    guesses = 6
    sipp = run_scenario(
        hotline.workdir / "guessing",
        register_scenario(DESK, "guessed-password", expect=401),
        port=free_port(),
        target=f"127.0.0.1:{hotline.settings.sip_port}",
        local_ip=GUESSER,
        calls=guesses,
        rate=20,
    )
    assert finished(sipp, timeout=60) == 0, sipp.output()
    time.sleep(1)
    new = security_log.read_text()[len(before) :]
    failures = [line for line in new.splitlines() if GUESSER in line]
    assert len(failures) >= guesses, new[-2000:]
    log = hotline.workdir / "security-guessing.log"
    log.write_text(new)
    checked = subprocess.run(
        ["fail2ban-regex", "--print-all-matched", str(log), str(FILTER)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    matched = re.search(r"^Lines: \d+ lines, \d+ ignored, (\d+) matched", checked.stdout, re.M)
    assert matched and int(matched.group(1)) >= guesses, checked.stdout[-3000:]
    assert GUESSER in checked.stdout
