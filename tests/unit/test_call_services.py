"""Call events become calls and tickets: once, in any order, from either producer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from panoramisk.message import Message
from sqlalchemy import func, select

from callmodel import events as ev
from callmodel.calltypes import CallType, TicketStatus
from crm.bridge.translate import translate
from crm.callbacks.services import still_to_call_back
from crm.calls.services import apply_event
from crm.models import Alert, Call, Ticket, TicketDetail
from tests.support.ami import messages

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def started(uid: str, number: str = "13800138000", t: float = 0) -> ev.CallStarted:
    return ev.CallStarted(
        event_id=f"s-{uid}", uniqueid=uid, occurred_at=at(t), caller_number=number
    )


def routed(uid: str, route: str, queue: str | None = None, t: float = 2, **kw) -> ev.CallRouted:
    return ev.CallRouted(
        event_id=f"r-{uid}",
        uniqueid=uid,
        occurred_at=at(t),
        route=route,
        queue=queue,
        reason=kw.pop("reason", "key 2"),
        **kw,
    )


def ended(uid: str, t: float = 30, **kw) -> ev.CallEnded:
    return ev.CallEnded(event_id=f"e-{uid}", uniqueid=uid, occurred_at=at(t), **kw)


def call(sessions, uid: str) -> Call:
    with sessions() as s:
        found = s.scalars(select(Call).where(Call.uniqueid == uid)).one()
        found.ticket  # noqa: B018 - load before the session closes
        return found


def test_every_call_gets_a_numbered_ticket_at_once(sessions):
    ticket = apply_event(sessions, started("1.1"))
    assert ticket.number == "20261128-0001"
    assert ticket.caller_number == "13800138000"
    assert ticket.created_at == T0
    assert apply_event(sessions, started("1.2", "13900000000")).number == "20261128-0002"


def test_ticket_numbers_follow_the_local_day_not_utc(sessions):
    late = ev.CallStarted(
        event_id="x",
        uniqueid="9.9",
        caller_number="1",
        occurred_at=datetime(2026, 11, 28, 16, 30, tzinfo=UTC),
    )
    assert apply_event(sessions, late).number == "20261129-0001"


def test_replayed_events_change_nothing(sessions):
    for _ in range(3):
        apply_event(sessions, started("1.1"))
        apply_event(sessions, routed("1.1", "queue", "consult", call_type="consultation"))
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 1
        assert s.scalar(select(func.count()).select_from(Call)) == 1


def test_emergency_is_typed_alerted_then_archived_when_110_answers(sessions):
    apply_event(sessions, started("2.1"))
    apply_event(sessions, routed("2.1", "emergency", reason="key 1", call_type="emergency"))
    with sessions() as s:
        # The hotline leader at once; the plan's handling group too (the leader not twice).
        alerts = {(a.audience, a.kind) for a in s.scalars(select(Alert))}
        assert alerts == {("hotline_leader", "emergency"), ("shift_leader", "plan_emergency")}
    apply_event(sessions, ended("2.1", dial_status="ANSWER", route="emergency"))
    record = call(sessions, "2.1")
    assert record.transferred_to_110 and record.outcome == "transferred_110"
    assert record.ticket.call_type is CallType.EMERGENCY
    assert record.ticket.status is TicketStatus.ARCHIVED
    assert "110" in record.ticket.handling_note
    assert not record.ticket.callback_needed
    with sessions() as s:
        # The work-order rules' record exists too (ledger, deadlines), without a second alert.
        assert s.get(TicketDetail, record.ticket.id).requested_type == "emergency"
        assert len(s.scalars(select(Alert)).all()) == 2


def test_110_busy_then_queue_keeps_the_ticket_open_for_the_agent(sessions):
    apply_event(sessions, started("3.1"))
    apply_event(sessions, routed("3.1", "emergency", reason="key 1"))
    apply_event(
        sessions,
        ended(
            "3.1",
            route="emergency",
            emergency_failed="BUSY",
            agent_interface="PJSIP/8001",
            hold_seconds=3,
        ),
    )
    record = call(sessions, "3.1")
    assert record.emergency_dial_status == "BUSY" and not record.transferred_to_110
    assert record.outcome == "answered" and record.ticket.status is TicketStatus.REGISTERED
    assert record.ticket.call_type is CallType.EMERGENCY


def dial_110(uid: str, status: str | None, t: float, n: int = 1) -> ev.CallEvent:
    """Asterisk's DialBegin (status None) or DialEnd of the n-th try to 110."""
    if status is None:
        return ev.EmergencyDialStarted(event_id=f"b{n}-{uid}", uniqueid=uid, occurred_at=at(t))
    return ev.EmergencyDialEnded(
        event_id=f"d{n}-{uid}", uniqueid=uid, occurred_at=at(t), dial_status=status
    )


def alerts_of(sessions, kind: str) -> list[Alert]:
    with sessions() as s:
        return list(s.scalars(select(Alert).where(Alert.kind == kind).order_by(Alert.id)))


def test_every_failed_110_try_alerts_the_hotline_leader_with_what_happened(sessions):
    apply_event(sessions, started("3.2"))
    apply_event(sessions, routed("3.2", "emergency", reason="key 1"))
    for n, status in ((1, "BUSY"), (2, "NOANSWER")):
        apply_event(sessions, dial_110("3.2", None, 2 + 10 * n, n))
        apply_event(sessions, dial_110("3.2", status, 10 + 10 * n, n))
    assert len(alerts_of(sessions, "emergency")) == 1  # the IVR's; a try is not a new emergency
    failed = alerts_of(sessions, "emergency_failed")
    assert [a.data["dial_status"] for a in failed] == ["BUSY", "NOANSWER"]
    assert "110占线" in failed[0].message and "110无人接听" in failed[1].message
    assert {a.audience for a in failed} == {"hotline_leader"}


def test_110_rung_by_the_dialplans_own_menu_alerts_the_leader_too(sessions):
    apply_event(sessions, started("3.3"))  # no CallRouted: the FastAGI server is down
    apply_event(sessions, dial_110("3.3", None, 3))
    [alert] = alerts_of(sessions, "emergency")
    assert "正在转接110" in alert.message and "语音导航不可用" in alert.message
    apply_event(sessions, dial_110("3.3", "ANSWER", 5))
    apply_event(sessions, ended("3.3", route="emergency", ivr_fallback=True))
    record = call(sessions, "3.3")
    assert record.transferred_to_110 and record.ticket.status is TicketStatus.ARCHIVED
    assert len(alerts_of(sessions, "emergency")) == 1


def test_an_urgent_caller_who_hangs_up_while_110_rings_is_recorded_so_and_called_back(sessions):
    apply_event(sessions, started("3.4"))
    apply_event(sessions, routed("3.4", "emergency", reason="key 1"))
    apply_event(sessions, dial_110("3.4", None, 3))
    apply_event(sessions, dial_110("3.4", "CANCEL", 6))
    apply_event(sessions, ended("3.4", t=6, route="emergency", dial_status="CANCEL"))
    record = call(sessions, "3.4")
    assert record.outcome == "abandoned_110" and record.queue is None
    assert record.ticket.callback_needed
    [failed] = alerts_of(sessions, "emergency_failed")
    assert "转接110时挂机" in failed.message and "回拨" in failed.message


def test_caller_who_gives_up_in_the_queue_is_listed_for_call_back(sessions):
    apply_event(sessions, started("4.1"))
    apply_event(sessions, routed("4.1", "queue", "help", call_type="help"))
    apply_event(sessions, ended("4.1", hangup_cause=16, route="queue"))
    record = call(sessions, "4.1")
    assert record.outcome == "abandoned_queue" and record.ticket.callback_needed


def test_caller_who_hangs_up_in_the_ivr_is_listed_for_call_back(sessions):
    apply_event(sessions, started("5.1"))
    apply_event(sessions, ended("5.1", hangup_cause=16))
    record = call(sessions, "5.1")
    assert record.outcome == "abandoned_ivr" and record.ticket.callback_needed


def test_repeat_caller_ticket_links_to_the_previous_one(sessions):
    first = apply_event(sessions, started("6.1"))
    apply_event(sessions, started("6.2", "13900000000", t=5))
    again = apply_event(sessions, started("6.3", "+86 13800138000", t=60))
    with sessions() as s:
        assert s.get(Ticket, again.id).previous_ticket_id == first.id


def test_anonymous_callers_are_never_linked(sessions):
    apply_event(sessions, started("7.1", ""))
    again = apply_event(sessions, started("7.2", "", t=60))
    assert again.previous_ticket_id is None


def test_late_start_event_fills_in_a_call_first_seen_without_a_number(sessions):
    # The bridge saw the end first (the FastAGI outbox delivered late, after an outage).
    apply_event(sessions, ended("8.1", hangup_cause=16))
    apply_event(sessions, started("8.1"))
    record = call(sessions, "8.1")
    assert record.caller_number == record.ticket.caller_number == "13800138000"


def test_recorded_ami_stream_alone_makes_the_right_tickets(sessions):
    """A real AMI stream (110 answered, agent answered, caller gave up) without any FastAGI."""
    for headers in messages("three-calls.txt"):
        event = translate(headers)
        if event is not None:
            apply_event(sessions, event)
    with sessions() as s:
        calls = s.scalars(select(Call).order_by(Call.id)).all()
        assert [c.outcome for c in calls] == ["transferred_110", "answered", "abandoned_queue"]
        urgent, answered, abandoned = calls
        assert urgent.ticket.status is TicketStatus.ARCHIVED
        assert answered.agent_interface == "PJSIP/8001" and answered.talk_seconds is not None
        assert answered.recording_path.endswith(f"{answered.uniqueid}.wav")
        assert abandoned.ticket.callback_needed
        assert {c.caller_number for c in calls} == {"13800138000"}
        assert s.scalar(select(func.count()).select_from(Ticket)) == 3


def test_malformed_ami_events_are_ignored():
    assert translate({}) is None
    assert translate({"Event": "AgentConnect"}) is None
    assert (
        translate({"Event": "Hangup", "Uniqueid": "1", "Linkedid": "1", "Context": "other"}) is None
    )
    bad_time = translate(
        {
            "Event": "QueueCallerJoin",
            "Uniqueid": "1",
            "Queue": "hotline-help",
            "Timestamp": "yesterday",
            "Position": "x",
        }
    )
    assert bad_time is not None and bad_time.queue == "help" and bad_time.position is None


def test_an_event_with_a_header_given_twice_is_believed_in_nothing():
    """A caller's line break in the number, as panoramisk's own parser reads the event."""
    clean = (
        "Event: Newchannel\r\nChannel: PJSIP/citizens-00000001\r\nCallerIDNum: 139\r\n"
        "Context: hotline-inbound\r\nExten: 12345\r\nUniqueid: 1796.1\r\nLinkedid: 1796.1\r\n"
        "Timestamp: 1796133309.0\r\n"
    )
    assert isinstance(translate(dict(Message.from_line(clean))), ev.CallStarted)
    forged = clean.replace("CallerIDNum: 139", "CallerIDNum: 139\r\nUniqueid: 6.6")
    headers = dict(Message.from_line(forged))
    assert headers["Uniqueid"] == ["6.6", "1796.1"]
    assert translate(headers) is None


MENU_ROUTED = {
    "Event": "UserEvent",
    "UserEvent": "HotlineRouted",
    "Channel": "PJSIP/citizens-00000002",
    "Context": "hotline-route",
    "Uniqueid": "1796.2",
    "Linkedid": "1796.2",
    "CallerIDNum": "13800138000",
    "Priority": "11",  # the dialplan's own, as in every channel event: not the queue's
    "Route": "queue",
    "Queue": "complaint",
    "QueuePriority": "0",
    "CallType": "complaint",
    "Key": "4",
}


def test_the_dialplan_menus_route_keeps_the_call_type_and_queue(sessions):
    routed_event = translate(MENU_ROUTED)
    assert isinstance(routed_event, ev.CallRouted) and routed_event.ivr_fallback
    assert (routed_event.queue, routed_event.call_type, routed_event.ivr_path) == (
        "complaint",
        "complaint",
        ["4"],
    )
    apply_event(sessions, routed_event)
    record = call(sessions, "1796.2")
    assert record.queue == "complaint" and record.ivr_fallback
    assert record.ticket.call_type is CallType.COMPLAINT


@pytest.mark.parametrize(
    "change",
    [
        {"Context": "hotline-agents"},  # not the caller's route
        {"Linkedid": "1796.1"},  # not the caller's own channel
        {"Queue": "complaint,x"},
        {"CallType": "vip"},
        {"Key": "44"},
        {"Route": "emergency"},  # 110 is learnt from Asterisk's DialBegin, not from this
    ],
)
def test_a_menu_route_event_the_menu_cannot_have_sent_is_ignored(change):
    assert translate({**MENU_ROUTED, **change}) is None


def test_control_characters_in_an_events_texts_are_dropped_and_the_call_kept(sessions):
    """A caller's display name with CR/LF and NUL (SIP allows them; PostgreSQL refuses NUL)."""
    event = ev.CallStarted(
        event_id="s-9.1",
        uniqueid="9.1",
        occurred_at=at(0),
        caller_number="13800138000",
        caller_name="张三\r\nUniqueid: 6.6\x00",
    )
    assert event.caller_name == "张三Uniqueid: 6.6"
    apply_event(sessions, event)
    assert call(sessions, "9.1").caller_name == "张三Uniqueid: 6.6"


# 虚拟排队: the Local channel holding a kept place, and the end of the hotline's call back.
KEPT_PLACE_ANSWERED = {
    "Event": "AgentConnect",
    "Channel": "Local/1796.7@hotline-virtual-queue-00000001;2",
    "Context": "hotline-virtual-queue",
    "Exten": "1796.7",
    "Uniqueid": "1796.9",
    "Linkedid": "1796.8",
    "CallerIDNum": "13800138007",
    "Queue": "hotline-consult",
    "Interface": "PJSIP/8001",
    "HoldTime": "40",
    "RingTime": "2",
}
KEPT_PLACE_CALLED = {
    "Event": "UserEvent",
    "UserEvent": "HotlineVirtualCallback",
    "Context": "hotline-virtual-dial",
    "Uniqueid": "1796.8",
    "Of": "1796.7",
    "Status": "NOANSWER",
    "Talk": "",
}


def test_a_kept_place_is_the_kept_call_and_its_end_is_told_truly(sessions):
    apply_event(sessions, started("1796.7", number="13800138007"))
    apply_event(sessions, routed("1796.7", "queue", "consult", call_type="consultation"))
    apply_event(sessions, ended("1796.7", route="queue", place_kept=True))
    kept = call(sessions, "1796.7")
    assert kept.outcome == "place_kept" and not kept.ticket.callback_needed

    answered = translate(KEPT_PLACE_ANSWERED)
    assert isinstance(answered, ev.AgentAnswered) and answered.uniqueid == "1796.7"
    apply_event(sessions, answered)
    assert call(sessions, "1796.7").agent_interface == "PJSIP/8001"

    # The caller did not answer the hotline's call: back on the call-back list.
    apply_event(sessions, translate(KEPT_PLACE_CALLED))
    record = call(sessions, "1796.7")
    assert record.outcome == "kept_place_unanswered" and record.ticket.callback_needed


@pytest.mark.parametrize(
    "event, change",
    [
        (KEPT_PLACE_ANSWERED, {"Context": "hotline-route"}),  # not a kept place's channel
        (KEPT_PLACE_ANSWERED, {"Exten": "1796.7\r\nUniqueid: 1"}),
        (KEPT_PLACE_CALLED, {"Context": "hotline-route"}),  # not the call-back's dialplan
        (KEPT_PLACE_CALLED, {"Of": "s"}),
    ],
)
def test_a_kept_place_event_from_elsewhere_names_no_other_call(event, change):
    translated = translate({**event, **change})
    assert translated is None or translated.uniqueid != "1796.7"


def test_a_caller_who_tried_three_times_is_one_entry_until_reached(sessions):
    for n, uid in enumerate(("7.1", "7.2", "7.3")):
        apply_event(sessions, started(uid, number="13800138077", t=n * 60))
        apply_event(sessions, routed(uid, "queue", "help", t=n * 60 + 2, call_type="help"))
        apply_event(sessions, ended(uid, t=n * 60 + 30, hangup_cause=16, route="queue"))
    apply_event(sessions, started("7.9", number="13900139000", t=200))
    apply_event(sessions, ended("7.9", t=210, hangup_cause=16))
    with sessions() as session:
        owed = still_to_call_back(session)
        assert [(o.ticket.caller_number, o.missed_calls) for o in owed] == [
            ("13800138077", 3),
            ("13900139000", 1),
        ]
        assert owed[0].ticket.number == call(sessions, "7.3").ticket.number  # the latest
    # They call again and an agent answers: the calls they missed are answered too.
    apply_event(sessions, started("7.4", number="13800138077", t=300))
    apply_event(
        sessions,
        ev.AgentAnswered(
            event_id="a-7.4", uniqueid="7.4", occurred_at=at(320), queue="help",
            agent_interface="PJSIP/8001",
        ),
    )  # fmt: skip
    with sessions() as session:
        assert [o.ticket.caller_number for o in still_to_call_back(session)] == ["13900139000"]
