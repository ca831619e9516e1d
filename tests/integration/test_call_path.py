"""Real SIP calls through the real Asterisk, our FastAGI IVR and the CRM."""

from __future__ import annotations

import subprocess
import time
import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from crm import db
from crm.models import Alert, Ticket
from hotlinectl import services
from ivr.menu import URGENT_PROMPTS
from tests.integration.conftest import AGENT_ONE, AGENT_TWO, Hotline, finished


def ended(call: dict) -> bool:
    return call["ended_at"] is not None


def seconds_of_audio(path) -> float:
    out = subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout)


def utc(moment: datetime) -> datetime:
    """SQLite gives back naive UTC times; the API answers with aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def alerts_of(hotline: Hotline, ticket_number: str) -> list[Alert]:
    """The alerts raised for one ticket, oldest first."""
    engine = db.make_engine(hotline.settings.db_url)
    with db.make_sessionmaker(engine)() as session:
        found = list(
            session.scalars(
                select(Alert)
                .join(Ticket, Ticket.id == Alert.ticket_id)
                .where(Ticket.number == ticket_number)
                .order_by(Alert.id)
            )
        )
    engine.dispose()
    return found


def test_emergency_key_reaches_110_and_the_ticket_is_archived(agents: Hotline):
    centre = agents.emergency_centre()
    number, caller = agents.call(keys="1", hold_ms=3000)
    assert finished(caller) == 0, caller.output()
    assert finished(centre) == 0, "110 never received the call:\n" + centre.output()
    call = agents.wait_for_call(number, ended)
    assert call["ivr_path"] == ["1"] and call["route"] == "emergency"
    assert call["transferred_to_110"] and call["emergency_dial_status"] == "ANSWER"
    ticket = call["ticket"]
    assert ticket["call_type"] == "emergency" and ticket["call_type_label"] == "紧急求助"
    assert ticket["status"] == "archived" and "110" in ticket["handling_note"]
    engine = db.make_engine(agents.settings.db_url)
    with db.make_sessionmaker(engine)() as session:
        ticket_id = session.scalars(
            select(Ticket.id).where(Ticket.number == ticket["number"])
        ).one()
        alerts = session.scalars(select(Alert).where(Alert.ticket_id == ticket_id)).all()
    engine.dispose()
    # The hotline leader, and the call-emergency plan's handling group (the shift leader).
    assert [a.audience for a in alerts] == ["hotline_leader", "shift_leader"]


def test_consultation_key_rings_a_signed_in_agent_and_the_call_is_recorded(agents: Hotline):
    agents.login(AGENT_ONE)
    phone = agents.phone(AGENT_ONE)
    number, caller = agents.call(keys="2", hold_ms=6000)
    assert finished(caller) == 0, caller.output()
    assert finished(phone) == 0, "the agent's phone never rang:\n" + phone.output()
    call = agents.wait_for_call(number, lambda c: ended(c) and c["talk_seconds"] is not None)
    assert call["queue"] == "consult" and call["agent_interface"] == f"PJSIP/{AGENT_ONE}"
    assert call["outcome"] == "answered" and call["hold_seconds"] is not None
    assert call["ticket"]["call_type"] == "consultation" and not call["ticket"]["callback_needed"]
    recording = agents.settings.in_chroot(call["recording_path"])
    assert recording.stat().st_size > 20_000
    assert seconds_of_audio(recording) > 3
    for leg in ("-in.wav", "-out.wav"):
        assert recording.with_name(recording.stem + leg).stat().st_size > 10_000


def test_an_answered_call_is_transcribed_leg_by_leg_with_word_times(agents: Hotline):
    agents.login(AGENT_ONE)
    phone = agents.phone(AGENT_ONE)
    number, caller = agents.call(keys="3", hold_ms=6000)
    assert finished(caller) == 0 and finished(phone) == 0
    call = agents.wait_for_call(number, ended)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            job = agents.api("GET", f"/api/calls/{call['uniqueid']}/transcript")
        except httpx.HTTPStatusError:
            job = {"status": "not queued"}
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.5)
    assert job["status"] == "done", job
    lines = job["transcript"]["lines"]
    # The model is Korean and the speech is sipp's capture: assert the plumbing, not the words.
    assert lines, "sipp's speech on both legs must give some recognised text"
    assert {line["label"] for line in lines} <= {"来电人", "话务员"}
    assert {line["speaker"] for line in lines} <= {"caller", "agent"}
    assert job["suggestion"]["explanation"]  # rule-based suggestion, shown to the agent
    for line in lines:
        times = [(w["start"], w["end"]) for w in line["words"]]
        assert all(start <= end for start, end in times)
        assert times == sorted(times)


def test_caller_who_hangs_up_while_queued_is_listed_for_call_back(agents: Hotline):
    number, caller = agents.call(keys="4", hold_ms=4000)  # nobody signed in to complaints
    assert finished(caller) == 0, caller.output()
    call = agents.wait_for_call(number, ended)
    assert call["queue"] == "complaint" and call["outcome"] == "abandoned_queue"
    assert call["ticket"]["callback_needed"]
    callbacks = agents.api("GET", "/api/callbacks")
    assert call["ticket"]["number"] in [t["number"] for t in callbacks]


def test_caller_who_presses_nothing_reaches_the_general_queue(agents: Hotline):
    agents.login(AGENT_TWO, ["general"])
    phone = agents.phone(AGENT_TWO)
    number, caller = agents.call(keys="", hold_ms=32000, speech=False)
    assert finished(caller) == 0, caller.output()
    assert finished(phone) == 0, phone.output()
    call = agents.wait_for_call(number, ended)
    assert call["ivr_path"] == ["timeout"] and call["queue"] == "general"
    assert call["agent_interface"] == f"PJSIP/{AGENT_TWO}" and call["outcome"] == "answered"


def test_busy_110_is_tried_twice_then_the_caller_heads_the_general_queue(agents: Hotline):
    centre = agents.emergency_centre(busy=True, calls=2)
    agents.login(AGENT_ONE, ["general"])
    phone = agents.phone(AGENT_ONE)
    number, caller = agents.call(keys="1", hold_ms=12000)
    assert finished(caller) == 0, caller.output()
    assert finished(centre) == 0, centre.output()
    assert finished(phone) == 0, phone.output()
    call = agents.wait_for_call(number, ended)
    assert call["emergency_dial_status"] == "BUSY" and not call["transferred_to_110"]
    assert call["queue"] == "general" and call["outcome"] == "answered"
    assert call["ticket"]["call_type"] == "emergency" and call["ticket"]["status"] == "registered"
    # The caller was told between the tries and before the queue; the leader of each failure.
    everyone = alerts_of(agents, call["ticket"]["number"])
    # The call-emergency plan's handling group (the shift leader) hears of it once too.
    assert [a.audience for a in everyone if a.kind.startswith("plan_")] == ["shift_leader"]
    alerts = [a for a in everyone if not a.kind.startswith("plan_")]
    assert [a.kind for a in alerts] == ["emergency", "emergency_failed", "emergency_failed"]
    assert all("110占线" in a.message for a in alerts[1:])
    # Between the two failures the caller heard 正在为您转接110 once more; after the second,
    # 110线路忙 before an agent was rung.
    prompts = agents.settings.in_chroot(agents.settings.asterisk_prompts_dir)
    spoken = {n: seconds_of_audio(prompts / f"{n}.wav") for n in URGENT_PROMPTS}
    first, second = (utc(a.created_at) for a in alerts[1:])
    assert (second - first).total_seconds() >= 0.8 * spoken["transfer_emergency"]
    rung = utc(datetime.fromisoformat(call["agent_called_at"]))
    assert (rung - second).total_seconds() >= 0.8 * spoken["emergency_failed"]


def test_calls_go_on_while_the_crm_is_down_and_their_tickets_appear_once_it_is_back(
    agents: Hotline,
):
    agents.login(AGENT_ONE)  # queue membership lives in Asterisk while the CRM is away
    services.stop(agents.settings, "crm")
    try:
        centre = agents.emergency_centre()
        urgent_number, urgent = agents.call(keys="1", hold_ms=3000)
        assert finished(urgent) == 0, urgent.output()
        assert finished(centre) == 0, "110 unreachable while the CRM is down"
        phone = agents.phone(AGENT_ONE)
        queued_number, queued = agents.call(keys="3", hold_ms=5000)
        assert finished(queued) == 0, queued.output()
        assert finished(phone) == 0, "agent unreachable while the CRM is down"
    finally:
        services.start(agents.settings, "crm")
    urgent_call = agents.wait_for_call(urgent_number, lambda c: c["outcome"] == "transferred_110")
    queued_call = agents.wait_for_call(
        queued_number, lambda c: c["outcome"] == "answered" and ended(c)
    )
    assert urgent_call["ticket"]["status"] == "archived"
    assert queued_call["agent_interface"] == f"PJSIP/{AGENT_ONE}"
    assert queued_call["ticket"]["call_type"] == "help"
    assert len(agents.calls_from(urgent_number)) == 1 and len(agents.calls_from(queued_number)) == 1


def test_with_the_fastagi_server_down_the_dialplan_menu_still_reaches_110(agents: Hotline):
    services.stop(agents.settings, "agi")
    try:
        centre = agents.emergency_centre()
        number, caller = agents.call(keys="1", hold_ms=3000)
        assert finished(caller) == 0, caller.output()
        assert finished(centre) == 0, "no 110 without the FastAGI server:\n" + centre.output()
        # The AMI bridge alone makes the ticket, and tells the hotline leader.
        call = agents.wait_for_call(number, ended)
        assert call["transferred_to_110"] and call["ticket"]["status"] == "archived"
        alerts = alerts_of(agents, call["ticket"]["number"])
        assert [a.audience for a in alerts] == ["hotline_leader", "shift_leader"]
        alert = alerts[0]
        assert alert.kind == "emergency" and alert.audience == "hotline_leader"
        assert "语音导航不可用" in alert.message
    finally:
        services.start(agents.settings, "agi")


def test_with_the_fastagi_server_down_every_menu_key_keeps_its_queue_and_type(agents: Hotline):
    agents.login(AGENT_TWO, ["complaint"])
    services.stop(agents.settings, "agi")
    try:
        phone = agents.phone(AGENT_TWO)
        number, caller = agents.call(keys="4", hold_ms=4000)
        assert finished(caller) == 0, caller.output()
        assert finished(phone) == 0, "the complaint queue's agent was not rung:\n" + phone.output()
        call = agents.wait_for_call(number, ended)
        assert call["queue"] == "complaint" and call["ivr_fallback"] and call["ivr_path"] == ["4"]
        assert call["agent_interface"] == f"PJSIP/{AGENT_TWO}" and call["outcome"] == "answered"
        assert call["ticket"]["call_type"] == "complaint"
    finally:
        services.start(agents.settings, "agi")


def test_an_unknown_number_is_refused_cleanly_and_the_hotline_keeps_answering(agents: Hotline):
    refused = agents.call_refused("99999")
    assert finished(refused) == 0, "expected 404 Not Found:\n" + refused.output()
    centre = agents.emergency_centre()
    number, caller = agents.call(keys="1", hold_ms=2000, speech=False)
    assert finished(caller) == 0 and finished(centre) == 0
    assert agents.wait_for_call(number, ended)["transferred_to_110"]


def test_a_paused_agent_is_not_rung_until_ready_again(agents: Hotline):
    agents.login(AGENT_ONE, ["help"])
    agents.api("POST", f"/api/agents/{AGENT_ONE}/pause", json={"reason": "小休"})
    number, caller = agents.call(keys="3", hold_ms=5000, speech=False)
    assert finished(caller) == 0, caller.output()
    call = agents.wait_for_call(number, ended)
    assert call["agent_called_at"] is None and call["outcome"] == "abandoned_queue"

    agents.api("POST", f"/api/agents/{AGENT_ONE}/ready")
    phone = agents.phone(AGENT_ONE)
    number, caller = agents.call(keys="3", hold_ms=5000, speech=False)
    assert finished(caller) == 0 and finished(phone) == 0, phone.output()
    assert agents.wait_for_call(number, ended)["outcome"] == "answered"


def test_a_restarted_asterisk_gets_its_queue_members_back_from_the_crm(agents: Hotline):
    agents.login(AGENT_TWO, ["general", "complaint"])
    services.stop(agents.settings, "asterisk")
    services.start(agents.settings, "asterisk")
    agents.wait_for_member("complaint", AGENT_TWO)
    phone = agents.phone(AGENT_TWO)
    number, caller = agents.call(keys="4", hold_ms=5000, speech=False)
    assert finished(caller) == 0 and finished(phone) == 0, "members were not restored"
    call = agents.wait_for_call(number, ended)
    assert call["agent_interface"] == f"PJSIP/{AGENT_TWO}"


def test_one_caller_presenting_two_forms_of_the_number_is_one_caller(agents: Hotline):
    """Issue 13: +864716250000 and 0471-6250000 are one caller, so the second call links to
    the first (repeat caller); the call carries the number's home area and line type."""
    local = "6" + str(uuid.uuid4().int)[:6]
    _, first = agents.call(keys="4", hold_ms=3000, caller=f"+86471{local}")
    assert finished(first) == 0, first.output()
    call = agents.wait_for_call(f"0471-{local}", ended)
    assert call["caller_number"] == f"0471{local}" == call["ticket"]["caller_number"]
    assert (call["caller_area"], call["caller_line"]) == ("内蒙古呼和浩特市", "fixed")
    _, second = agents.call(keys="4", hold_ms=3000, caller=f"0471{local}")
    assert finished(second) == 0, second.output()
    again = agents.wait_for_call(
        f"+86 471 {local}", lambda c: ended(c) and c["uniqueid"] != call["uniqueid"]
    )
    assert again["caller_number"] == f"0471{local}"
    assert again["ticket"]["previous_ticket"] == call["ticket"]["number"]
