"""What a waiting caller hears from the real Asterisk: their place in the queue in Chinese (the
numbers said with the hotline's own Chinese words, not Asterisk's English ones) on entry, and
music on hold between the announcements, not a prompt in a loop."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.asterisk import AsteriskProcess
from tests.integration.conftest import Hotline, finished

pytestmark = pytest.mark.asterisk


@pytest.fixture
def played(agents: Hotline) -> Iterator[Path]:
    """Asterisk's verbose log of this test, where every file it plays to a channel is named
    (a temporary logger channel, removed after)."""
    asterisk = AsteriskProcess(agents.settings)
    name = f"played-{time.monotonic_ns()}.log"
    asterisk.cli(f"logger add channel {name} verbose(3)")
    try:
        yield agents.settings.asterisk_state_dir / "log" / name
    finally:
        asterisk.cli(f"logger remove channel {name}")


def test_a_waiting_caller_is_told_their_place_in_chinese(agents: Hotline, played: Path) -> None:
    # Nobody is signed in: both callers wait in the consultation queue, the second behind.
    first_number, first = agents.call(keys="2", hold_ms=14000, speech=False)
    time.sleep(4)
    second_number, second = agents.call(keys="2", hold_ms=8000, speech=False)
    assert finished(first) == 0 and finished(second) == 0
    log = played.read_text(errors="replace")
    prompts = str(agents.settings.asterisk_prompts_dir)

    # The first caller, alone at the head of the queue: 您是下一位.
    assert f"Playing '{prompts}/queue_next.slin' (language 'zh')" in log, log[-3000:]
    # The second caller: 您现在排在第 二 位 — the number in the hotline's Chinese words, 8 kHz
    # WAV, which Asterisk names by their format "slin" (Debian's English words are "gsm").
    said = [
        line.split("Playing ")[1]
        for line in log.splitlines()
        if "Playing '" in line and "file.c" in line and line.count("citizens-") == 1
    ]
    assert [
        f"'{prompts}/queue_position.slin' (language 'zh')",
        "'digits/2.slin' (language 'zh')",
        f"'{prompts}/queue_position_after.slin' (language 'zh')",
    ] == [s for s in said if "queue_position" in s or "digits/" in s], log[-3000:]
    assert "Started music on hold, class 'default'" in log, log[-3000:]
    assert "moh/queue_wait" not in log
    for number in (first_number, second_number):
        assert agents.wait_for_call(number, lambda c: c["ended_at"] is not None)
