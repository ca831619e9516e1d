"""A listed harassing number through the real Asterisk: it hears the blocklist message, is
recorded and hung up on; pressing 1 it still reaches 110 (docs/hotline-rules.md,
"Call-emergency plan")."""

from __future__ import annotations

from tests.integration.conftest import Hotline, finished, new_number
from tests.support.sipp import hung_up_on_scenario, run_scenario


def ended(call: dict) -> bool:
    return call["ended_at"] is not None


def listed(hotline: Hotline) -> str:
    number = new_number()
    hotline.api("POST", "/api/blocklist", json={"number": number, "reason": "多次骚扰热线"})
    return number


def test_a_listed_caller_hears_the_message_is_recorded_and_hung_up_on(agents: Hotline):
    number = listed(agents)
    caller = run_scenario(
        agents._dir("listed"),
        hung_up_on_scenario(number, [("pause", 1500), ("key", "2")]),
        port=agents._own_port(),
        target=f"127.0.0.1:{agents.settings.sip_port}",
        service=agents.settings.hotline_number,
    )
    assert finished(caller) == 0, "the hotline never hung up:\n" + caller.output()
    call = agents.wait_for_call(number, lambda c: ended(c) and c["recording_path"] is not None)
    assert call["route"] == "blocked" and call["outcome"] == "blocklisted"
    assert call["ivr_path"] == ["2", "blocklisted"]
    assert call["agent_interface"] is None and call["queue"] is None
    assert agents.settings.in_chroot(call["recording_path"]).exists()
    ticket = call["ticket"]
    assert not ticket["callback_needed"] and "骚扰号码" in ticket["handling_note"]


def test_a_listed_caller_pressing_1_still_reaches_110(agents: Hotline):
    number = listed(agents)
    centre = agents.emergency_centre()
    _, caller = agents.call(keys="1", hold_ms=3000, caller=number)
    assert finished(caller) == 0, caller.output()
    assert finished(centre) == 0, "110 never received the call:\n" + centre.output()
    call = agents.wait_for_call(number, ended)
    assert call["route"] == "emergency" and call["transferred_to_110"]
    assert call["outcome"] == "transferred_110" and "blocklisted" not in call["ivr_path"]
