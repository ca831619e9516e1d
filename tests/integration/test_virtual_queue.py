"""虚拟排队 through the real Asterisk: a waiting caller presses 9 and hangs up with their place
kept; when an agent signs in, the agent's phone rings with that call's ticket and the
hotline rings the caller back through the carrier trunk. A number the call-back policy does
not dial is put back at its place instead."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Hotline, finished, new_number
from tests.support.instance import AGENT_ONE
from tests.support.sipp import hung_up_on_scenario, run_scenario

pytestmark = pytest.mark.asterisk

# 2 (咨询), a few seconds in the queue hearing their place, then the call-back key.
LEAVES_FOR_A_CALL_BACK = [("pause", 1500), ("key", "2"), ("pause", 7000), ("key", "9")]


def test_a_caller_who_keeps_their_place_is_called_back_by_the_agent_who_takes_it(
    agents: Hotline,
) -> None:
    number = new_number()
    caller = run_scenario(
        agents._dir("keeps-place"),
        hung_up_on_scenario(number, LEAVES_FOR_A_CALL_BACK),
        port=agents._own_port(),
        target=f"127.0.0.1:{agents.settings.sip_port}",
        service=agents.settings.hotline_number,
    )
    assert finished(caller) == 0, "the hotline never let the caller go:\n" + caller.output()
    kept = agents.wait_for_call(number, lambda c: c["ended_at"] is not None)
    assert kept["outcome"] == "place_kept" and not kept["ticket"]["callback_needed"]

    # Their turn: an agent signs in and takes the kept place; the caller's phone rings.
    citizen = agents.citizen_answers(number)
    phone = agents.phone(AGENT_ONE)
    agents.login(AGENT_ONE, ["consult"])
    assert finished(phone) == 0, "the kept place never reached the agent:\n" + phone.output()
    assert finished(citizen) == 0, "the caller was never called back:\n" + citizen.output()
    answered = agents.wait_for_call(number, lambda c: c["outcome"] == "answered")
    assert answered["uniqueid"] == kept["uniqueid"]  # the same call and ticket, not a new one
    assert answered["agent_interface"] == f"PJSIP/{AGENT_ONE}"
    assert answered["ticket"]["number"] == kept["ticket"]["number"]
    assert not answered["ticket"]["callback_needed"]


def test_a_number_the_hotline_may_not_dial_keeps_waiting_instead(agents: Hotline) -> None:
    # An international premium-rate number (wangiri): never called back, so it stays queued.
    number = "00882" + new_number()[3:]
    _, caller = agents.call(
        caller=number, script=[*LEAVES_FOR_A_CALL_BACK, ("pause", 6000)], speech=False
    )
    assert finished(caller) == 0, "the caller was cut off:\n" + caller.output()
    call = agents.wait_for_call(number, lambda c: c["ended_at"] is not None)
    assert call["outcome"] == "abandoned_queue"
