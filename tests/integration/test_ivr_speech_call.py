"""A caller speaks at the IVR's invitation: the real Asterisk records the utterance, the
FastAGI server decodes it with the real Vosk model, and the call goes on whatever was heard."""

from __future__ import annotations

import re
import subprocess

from tests.integration.conftest import AGENT_ONE, Hotline, finished
from tests.support.sipp import Step


def prompt_ms(hotline: Hotline, name: str) -> int:
    path = hotline.settings.in_chroot(hotline.settings.asterisk_prompts_dir) / f"{name}.wav"
    out = subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True, check=True)
    return int(float(out.stdout) * 1000)


def test_speech_is_recorded_decoded_and_the_call_continues_to_an_agent(
    listening_hotline: Hotline,
):
    hotline = listening_hotline
    hotline.login(AGENT_ONE)
    phone = hotline.phone(AGENT_ONE)
    invitation = prompt_ms(hotline, "welcome") + prompt_ms(hotline, "speak")
    limit_ms = int(hotline.settings.asr.utterance_max_seconds * 1000)
    # Speak into the recording; press 2 once, well inside the menu that follows the decode
    # (menu + wait ≈ 20 s): the same DTMF capture replayed twice would carry the same RTP
    # timestamp and be taken for a retransmission.
    script: list[Step] = [
        ("pause", invitation + 1500),
        ("speech", 0),
        ("pause", limit_ms + 10_000),
        ("key", "2"),
        ("pause", 10_000),
    ]
    number, caller = hotline.call(script=script)
    assert finished(caller, 120) == 0, caller.output()
    assert finished(phone) == 0, "the call did not continue to the agent:\n" + phone.output()
    call = hotline.wait_for_call(number, lambda c: c["ended_at"] is not None)
    assert call["ivr_path"] == ["speech", "2"] and call["queue"] == "consult"
    assert call["agent_interface"] == f"PJSIP/{AGENT_ONE}"
    utterance = (
        hotline.settings.in_chroot(hotline.settings.utterances_dir) / f"{call['uniqueid']}.wav"
    )
    assert utterance.stat().st_size > 8000, "the utterance was not recorded"
    log = (hotline.settings.var_dir / "log" / "agi.log").read_text()
    decoded = re.search(rf"utterance {re.escape(utterance.name)}: .* in ([0-9.]+) s", log)
    assert decoded, "the FastAGI server did not decode the utterance"
    assert "IVR invites speech" in log
