"""A listed harassing number through the real Asterisk: it hears the blocklist message, is
recorded and hung up on; pressing 1 it still reaches 110 (docs/hotline-rules.md,
"Call-emergency plan")."""

from __future__ import annotations

from tests.integration.conftest import Hotline, finished, new_number
from tests.support.sipp import INVITE, SDP, dtmf_pcap, run_scenario

# A citizen who presses keys, then waits for the hotline to hang up (BYE from Asterisk).
HUNG_UP_ON = (
    """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="a listed caller is hung up on">
"""
    + INVITE
    + """  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Citizen" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: sip:{caller}@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0
]]></send>
  <pause milliseconds="1500"/>
  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>
  <recv request="BYE" timeout="40000"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:{caller}@[local_ip]:[local_port]>
Content-Length: 0
]]></send>
</scenario>
"""
)


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
        HUNG_UP_ON.format(caller=number, sdp=SDP, pcap=dtmf_pcap("2")),
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
