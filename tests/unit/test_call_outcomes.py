"""Pure rules for call records: numbers, ticket numbers, outcomes."""

from datetime import date

import pytest

from callmodel.events import talk_seconds
from crm.domain.call_outcomes import (
    ANONYMOUS,
    CallOutcome,
    needs_callback,
    normalise_number,
    outcome_at_end,
    ticket_number,
)


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("010-12345678", "01012345678"),
        ("", ANONYMOUS),
        (None, ANONYMOUS),
        ("anonymous", ANONYMOUS),
    ],
)
def test_numbers_are_normalised_so_repeat_callers_match(raw, number):
    assert normalise_number(raw) == number


def test_ticket_numbers_are_readable_and_daily():
    assert ticket_number(date(2026, 11, 28), 1) == "20261128-0001"
    assert ticket_number(date(2026, 1, 2), 123) == "20260102-0123"
    with pytest.raises(ValueError):
        ticket_number(date(2026, 1, 2), 0)


@pytest.mark.parametrize(
    ("route", "dial", "agent", "queued", "outcome"),
    [
        ("emergency", "ANSWER", False, False, CallOutcome.TRANSFERRED_110),
        ("emergency", "BUSY", True, True, CallOutcome.ANSWERED),
        ("emergency", "BUSY", False, True, CallOutcome.ABANDONED_IN_QUEUE),
        # hung up while 110 rang, or between two tries: never reached the queue
        ("emergency", "CANCEL", False, False, CallOutcome.ABANDONED_DURING_110),
        ("emergency", "BUSY", False, False, CallOutcome.ABANDONED_DURING_110),
        ("queue", None, True, True, CallOutcome.ANSWERED),
        ("queue", None, False, True, CallOutcome.ABANDONED_IN_QUEUE),
        (None, None, False, False, CallOutcome.ABANDONED_IN_IVR),
    ],
)
def test_outcome_at_end(route, dial, agent, queued, outcome):
    found = outcome_at_end(route=route, dial_status=dial, agent_answered=agent, queued=queued)
    assert found is outcome


def test_an_urgent_caller_who_gave_up_on_110_is_called_back():
    assert needs_callback(CallOutcome.ABANDONED_DURING_110, "13800138000")


def test_abandoned_callers_are_called_back_unless_anonymous():
    assert needs_callback(CallOutcome.ABANDONED_IN_QUEUE, "13800138000")
    assert needs_callback(CallOutcome.ABANDONED_IN_IVR, "13800138000")
    assert not needs_callback(CallOutcome.ANSWERED, "13800138000")
    assert not needs_callback(CallOutcome.ABANDONED_IN_QUEUE, ANONYMOUS)


def test_talk_time_from_the_dialplan_clock():
    assert talk_seconds(1000.0, 900.0, 30) == 70
    assert talk_seconds(1000.0, None, 30) == 0
    assert talk_seconds(1000.0, 990.0, 30) == 0
