"""Call-back results: read from Asterisk's events (odd ones ignored), stored once, and the
ticket off the list only when the citizen answered."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callmodel.events import CallbackFinished
from crm.bridge.translate import AGENT_NO_ANSWER, translate
from crm.callbacks.services import record_result, status_label
from crm.domain.callback_channel import channel_id
from crm.models import CallbackAttempt, Ticket


@pytest.mark.parametrize(
    ("headers", "result"),
    [
        (
            {"Event": "UserEvent", "UserEvent": "HotlineCallback", "Attempt": "7",
             "Status": "ANSWER", "Talk": "12", "Recording": "/srv/r/callback-1.wav",
             "Uniqueid": "hotline-cb-7-ab"},
            (7, "ANSWER", 12, "/srv/r/callback-1.wav", "hotline-cb-7-ab", True),
        ),
        (
            {"Event": "UserEvent", "UserEvent": "HotlineCallback", "Attempt": "8", "Status": "",
             "Talk": ""},
            (8, "", None, None, None, True),
        ),
        (
            {"Event": "OriginateResponse", "Response": "Failure",
             "ActionID": "hotline-callback-9"},
            (9, AGENT_NO_ANSWER, None, None, None, False),
        ),
        ({"Event": "OriginateResponse", "Response": "Success",
          "ActionID": "hotline-callback-9"}, None),
        ({"Event": "OriginateResponse", "Response": "Failure", "ActionID": "other-9"}, None),
        ({"Event": "UserEvent", "UserEvent": "Other", "Attempt": "1"}, None),
        ({"Event": "UserEvent", "UserEvent": "HotlineCallback", "Attempt": "x; DROP"}, None),
        ({"Event": "UserEvent", "UserEvent": "HotlineCallback"}, None),
        ({"Event": "Hangup"}, None),
    ],
)  # fmt: skip
def test_results_are_read_from_asterisks_events(headers, result):
    expected = None
    if result is not None:
        attempt, status, talk, recording, channel, from_dialplan = result
        expected = CallbackFinished(
            attempt=attempt, status=status, talk_seconds=talk, recording=recording,
            channel=channel, from_dialplan=from_dialplan,
        )  # fmt: skip
    assert translate(headers) == expected


def ticket_with_attempt(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        ticket = Ticket(
            number="20261128-0009",
            caller_number="13800138000",
            callback_needed=True,
            created_at=datetime.now(UTC),
        )
        session.add(ticket)
        session.flush()
        attempt = CallbackAttempt(
            ticket_id=ticket.id, agent_extension="8001", number=ticket.caller_number
        )
        session.add(attempt)
        session.commit()
        return ticket.id, attempt.id


def test_an_unanswered_call_back_keeps_the_ticket_on_the_list(sessions):
    ticket_id, attempt_id = ticket_with_attempt(sessions)
    state = SimpleNamespace(sessions=sessions)
    assert record_result(state, attempt_id, "BUSY", None)
    assert not record_result(state, attempt_id, "ANSWER", 5)  # a result is stored once
    assert not record_result(state, 999, "ANSWER", 5)
    with sessions() as session:
        assert session.get(CallbackAttempt, attempt_id).status == "BUSY"
        assert session.get(Ticket, ticket_id).callback_done_at is None
    assert status_label("BUSY") == "对方忙" and status_label("") == "未接通"


def test_an_answered_call_back_takes_the_ticket_off_the_list(sessions):
    ticket_id, attempt_id = ticket_with_attempt(sessions)
    assert record_result(SimpleNamespace(sessions=sessions), attempt_id, "ANSWER", 42)
    with sessions() as session:
        attempt = session.get(CallbackAttempt, attempt_id)
        assert (attempt.status, attempt.talk_seconds) == ("ANSWER", 42)
        assert session.get(Ticket, ticket_id).callback_done_at is not None


def test_the_dialplans_result_counts_only_from_the_channel_originated_for_the_attempt(sessions):
    ticket_id, attempt_id = ticket_with_attempt(sessions)
    state = SimpleNamespace(sessions=sessions, settings=SimpleNamespace(ami_secret="s3cret"))
    forged = "1796133309.7"
    assert not record_result(state, attempt_id, "ANSWER", 5, channel=forged, from_dialplan=True)
    assert not record_result(state, attempt_id, "ANSWER", 5, channel=None, from_dialplan=True)
    own = channel_id("s3cret", attempt_id)
    assert record_result(state, attempt_id, "ANSWER", 5, channel=own, from_dialplan=True)
    with sessions() as session:
        assert session.get(Ticket, ticket_id).callback_done_at is not None
