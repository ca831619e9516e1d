"""Whistle-blowing reports are visible to the hotline leader, the assigned reviewer and the
discipline-inspection or judicial body they were dispatched to, only."""

from __future__ import annotations

import pytest

from callmodel.calltypes import CallType
from crm.domain.access import OrderVisibility, Role, Viewer, can_read, read_must_be_audited

REPORT = OrderVisibility(CallType.REPORT, assigned_reviewer="li", unit_id=4)
HELP = OrderVisibility(CallType.HELP, unit_id=4)
# The same report once dispatched to unit 4, a discipline-inspection body.
DISPATCHED_REPORT = OrderVisibility(
    CallType.REPORT, assigned_reviewer="li", unit_id=4, unit_handles_reports=True
)


@pytest.mark.parametrize(
    ("who", "order", "allowed"),
    [
        (Viewer("boss", frozenset({Role.HOTLINE_LEADER})), REPORT, True),
        (Viewer("li", frozenset({Role.REVIEWER})), REPORT, True),
        (Viewer("zhao", frozenset({Role.REVIEWER})), REPORT, False),
        (Viewer("wang", frozenset({Role.SHIFT_LEADER})), REPORT, False),
        (Viewer("a1", frozenset({Role.AGENT})), REPORT, False),
        (Viewer("adm", frozenset({Role.ADMIN})), REPORT, False),
        (Viewer("u", frozenset({Role.UNIT}), unit_id=4), REPORT, False),
        (Viewer("u", frozenset({Role.UNIT}), unit_id=4), DISPATCHED_REPORT, True),
        (Viewer("u", frozenset({Role.UNIT}), unit_id=5), DISPATCHED_REPORT, False),
        (Viewer("u", frozenset({Role.UNIT})), DISPATCHED_REPORT, False),
        (Viewer("wang", frozenset({Role.SHIFT_LEADER})), DISPATCHED_REPORT, False),
        (Viewer("a1", frozenset({Role.AGENT})), HELP, True),
        (Viewer("u", frozenset({Role.UNIT}), unit_id=4), HELP, True),
        (Viewer("u", frozenset({Role.UNIT}), unit_id=5), HELP, False),
    ],
)
def test_who_may_read(who: Viewer, order: OrderVisibility, allowed: bool) -> None:
    assert can_read(who, order) is allowed


def test_every_read_of_a_report_is_audited() -> None:
    assert read_must_be_audited(REPORT)
    assert not read_must_be_audited(HELP)


def test_agents_act_for_themselves_and_the_floor_leaders_for_anyone() -> None:
    from crm.domain.access import may_act_for_agent

    def who(*roles: Role) -> Viewer:
        return Viewer("x", frozenset(roles))

    assert may_act_for_agent(who(Role.AGENT), "8001", "8001")
    assert not may_act_for_agent(who(Role.AGENT), "8001", "8002")
    assert not may_act_for_agent(who(Role.AGENT), None, "8001")
    for leader in (Role.SHIFT_LEADER, Role.HOTLINE_LEADER, Role.ADMIN):
        assert may_act_for_agent(who(leader), None, "8002")
    for other in (Role.UNIT, Role.SUPERVISOR, Role.REVIEWER):
        assert not may_act_for_agent(who(other), "8001", "8001")
