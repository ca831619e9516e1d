"""``hotline upgrade`` on a running hotline with a call in progress: the call ends normally,
Asterisk restarts once the call is over, and the hotline takes calls afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from hotlinectl import services
from tests.integration.conftest import Hotline, finished
from tests.support.instance import AGENT_ONE

pytestmark = pytest.mark.asterisk


def ended(call: dict[str, object]) -> bool:
    return call["ended_at"] is not None


def test_upgrade_waits_for_the_call_then_restarts_asterisk(agents: Hotline) -> None:
    asterisk_before = services.pid_of(agents.settings, "asterisk")
    agents.login(AGENT_ONE)
    phone = agents.phone(AGENT_ONE)
    number, caller = agents.call(keys="3", hold_ms=9000, speech=False)
    time.sleep(3)  # the citizen is talking to the agent
    upgrading = subprocess.Popen(
        [sys.executable, "-m", "hotlinectl.cli", "upgrade", "--wait", "120"],
        env={**os.environ, "HOTLINE_CONFIG": str(agents.settings.source_file)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert finished(caller) == 0, caller.output()
    assert finished(phone) == 0, phone.output()
    out, _ = upgrading.communicate(timeout=400)
    assert upgrading.returncode == 0, out
    assert "Asterisk 已重启" in out, out
    assert agents.wait_for_call(number, ended)["outcome"] == "answered"
    assert services.pid_of(agents.settings, "asterisk") not in (None, asterisk_before)
    backups = sorted((agents.settings.var_dir / "backups").glob("before-upgrade-*"))
    assert backups and (backups[-1] / "db" / "hotline.db").is_file()

    agents.wait_for_member("help", AGENT_ONE)
    phone = agents.phone(AGENT_ONE)
    number, caller = agents.call(keys="3", hold_ms=4000, speech=False)
    assert finished(caller) == 0 and finished(phone) == 0, phone.output()
    assert agents.wait_for_call(number, ended)["outcome"] == "answered"
