"""The longest wait, through the real Asterisk: after the queue's max_wait_seconds a caller is
offered to leave a message; the message is kept with the call's recording, and the ticket goes
on the call-back list saying so."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
import yaml

from hotline.settings import CONFIG_DIR
from tests.integration.conftest import Hotline, finished
from tests.support.instance import isolated_hotline

pytestmark = pytest.mark.asterisk

LONGEST_WAIT = 15


def test_after_the_longest_wait_a_caller_leaves_a_message_for_a_call_back(tmp_path: Path):
    menu = yaml.safe_load((CONFIG_DIR / "ivr-menu.yaml").read_text(encoding="utf-8"))
    menu["queues"]["consult"]["max_wait_seconds"] = LONGEST_WAIT
    menu_file = tmp_path / "ivr-menu.yaml"
    menu_file.write_text(yaml.safe_dump(menu, allow_unicode=True), encoding="utf-8")
    with isolated_hotline(tmp_path, ivr_menu_file=str(menu_file)) as instance:
        hotline = Hotline.of(instance)
        # 2 (咨询); nobody signed in; after the longest wait 3 (留言), speak after the beep and
        # hang up, as the prompt asks. (The first call of a new hotline: its IVR takes a moment
        # to start listening.)
        script = [("pause", 3000), ("key", "2"), ("pause", 24000), ("key", "3"), ("pause", 8000)]
        number, caller = hotline.call(script=[*script, ("speech", 0), ("pause", 6000)])
        assert finished(caller) == 0, "the hotline did not take the message:\n" + caller.output()
        call = hotline.wait_for_call(number, lambda c: c["ended_at"] and c["recording_path"])
        assert call["outcome"] == "voice_message" and call["voice_message"]
        ticket = call["ticket"]
        assert ticket["callback_needed"] and "留言" in ticket["handling_note"]
        mix = hotline.settings.in_chroot(call["recording_path"])
        message = mix.with_name(mix.name.removesuffix(".wav") + "-message.wav")
        with wave.open(str(message)) as audio:
            assert audio.getnframes() / audio.getframerate() > 1
