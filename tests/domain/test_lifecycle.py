"""The ticket lifecycle, one row per rule, on a frozen clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from callmodel.calltypes import CallType, TicketStatus
from crm.domain.errors import RuleViolation
from crm.domain.lifecycle import Action, ActionInput, Effect, OrderFacts, allowed_actions, apply
from crm.domain.workcalendar import CHINA_TZ

S = TicketStatus
CALLED = datetime(2026, 9, 30, 10, 0, tzinfo=CHINA_TZ)


def order(call_type: CallType, status: TicketStatus, **kw: object) -> OrderFacts:
    return OrderFacts(call_type=call_type, status=status, called_at=CALLED, **kw)  # type: ignore[arg-type]


def test_full_path_dispatch_reply_answer_visit_archive() -> None:
    o = order(CallType.HELP, S.REGISTERED)
    steps = [
        (Action.DISPATCH, ActionInput(unit_id=1), S.DISPATCHED),
        (Action.UNIT_REPLY, ActionInput(answer="已更换井盖"), S.REPLIED),
        (Action.ANSWER_CALLER, ActionInput(), S.CALLER_ANSWERED),
        (Action.RETURN_VISIT, ActionInput(satisfaction=5), S.VISITED),
        (Action.ARCHIVE, ActionInput(), S.ARCHIVED),
    ]
    for action, data, expected in steps:
        out = apply(o, action, data)
        assert out.status is expected
        o = OrderFacts(o.call_type, out.status, o.called_at)


def test_answered_from_knowledge_base_closes_then_archives() -> None:
    out = apply(
        order(CallType.CONSULTATION, S.REGISTERED),
        Action.ANSWER_FROM_KB,
        ActionInput(kb_article_id=7),
    )
    assert out.status is S.ANSWERED
    assert apply(order(CallType.CONSULTATION, S.ANSWERED), Action.ARCHIVE).status is S.ARCHIVED


def test_emergency_archived_at_once_and_hotline_leader_notified() -> None:
    out = apply(order(CallType.EMERGENCY, S.REGISTERED), Action.ARCHIVE_EMERGENCY)
    assert out.status is S.ARCHIVED
    assert out.effects == (Effect.NOTIFY_HOTLINE_LEADER,)


@pytest.mark.parametrize(
    ("rule", "facts", "action", "data"),
    [
        (
            "only emergencies archive at once",
            order(CallType.HELP, S.REGISTERED),
            Action.ARCHIVE_EMERGENCY,
            ActionInput(),
        ),
        (
            "KB answer names its article",
            order(CallType.CONSULTATION, S.REGISTERED),
            Action.ANSWER_FROM_KB,
            ActionInput(),
        ),
        (
            "a report is not closed from the KB",
            order(CallType.REPORT, S.REGISTERED),
            Action.ANSWER_FROM_KB,
            ActionInput(kb_article_id=1),
        ),
        (
            "dispatch needs a unit",
            order(CallType.HELP, S.REGISTERED),
            Action.DISPATCH,
            ActionInput(),
        ),
        (
            "unforwardable order is not dispatched",
            order(CallType.COMPLAINT, S.REGISTERED, forwardable=False),
            Action.DISPATCH,
            ActionInput(unit_id=1),
        ),
        (
            "invalid is not dispatched",
            order(CallType.INVALID, S.REGISTERED),
            Action.DISPATCH,
            ActionInput(unit_id=1),
        ),
        (
            "simple work order needs a reason",
            order(CallType.CONSULTATION, S.REGISTERED),
            Action.MARK_SIMPLE,
            ActionInput(unit_id=1, reason=" "),
        ),
        (
            "reviewer records who answered",
            order(CallType.CONSULTATION, S.DISPATCHED, simple=True),
            Action.REVIEWER_RECORD,
            ActionInput(answer="可以办理"),
        ),
        (
            "reviewer records what was said",
            order(CallType.CONSULTATION, S.DISPATCHED, simple=True),
            Action.REVIEWER_RECORD,
            ActionInput(answered_by="王科长"),
        ),
        (
            "only simple orders are recorded by the reviewer",
            order(CallType.CONSULTATION, S.DISPATCHED),
            Action.REVIEWER_RECORD,
            ActionInput(answered_by="王", answer="好"),
        ),
        (
            "simple orders are not answered by the unit in the system",
            order(CallType.CONSULTATION, S.DISPATCHED, simple=True),
            Action.UNIT_REPLY,
            ActionInput(answer="好"),
        ),
        (
            "unit reply has content",
            order(CallType.HELP, S.DISPATCHED),
            Action.UNIT_REPLY,
            ActionInput(answer=""),
        ),
        (
            "no archive before the return visit",
            order(CallType.HELP, S.CALLER_ANSWERED),
            Action.ARCHIVE,
            ActionInput(),
        ),
        (
            "satisfaction 1..5",
            order(CallType.HELP, S.CALLER_ANSWERED),
            Action.RETURN_VISIT,
            ActionInput(satisfaction=6),
        ),
        (
            "forwardable orders are not closed unhandled",
            order(CallType.HELP, S.REGISTERED),
            Action.CLOSE,
            ActionInput(),
        ),
        (
            "no reply before dispatch",
            order(CallType.HELP, S.REGISTERED),
            Action.UNIT_REPLY,
            ActionInput(answer="x"),
        ),
        (
            "archived is final",
            order(CallType.HELP, S.ARCHIVED),
            Action.DISPATCH,
            ActionInput(unit_id=1),
        ),
    ],
)
def test_forbidden_actions(rule: str, facts: OrderFacts, action: Action, data: ActionInput) -> None:
    with pytest.raises(RuleViolation) as err:
        apply(facts, action, data)
    assert err.value.message, rule


def test_simple_work_order_reviewer_records_and_returns_to_shift_leader() -> None:
    marked = apply(
        order(CallType.CONSULTATION, S.REGISTERED),
        Action.MARK_SIMPLE,
        ActionInput(unit_id=3, reason="来电人急需，知识库无答案"),
    )
    assert marked.status is S.DISPATCHED and marked.simple
    recorded = apply(
        order(CallType.CONSULTATION, S.DISPATCHED, simple=True),
        Action.REVIEWER_RECORD,
        ActionInput(answered_by="市社保局 王科长", answer="周六窗口正常办理"),
    )
    assert recorded.status is S.REPLIED
    assert recorded.effects == (Effect.RETURN_TO_SHIFT_LEADER,)


@pytest.mark.parametrize(
    ("rule", "call_type", "requested", "after", "allowed"),
    [
        (
            "suggestion archived 24 h after the call",
            CallType.SUGGESTION,
            False,
            timedelta(hours=24),
            True,
        ),
        (
            "suggestion not archived before 24 h",
            CallType.SUGGESTION,
            False,
            timedelta(hours=23, minutes=59),
            False,
        ),
        ("praise archived 24 h after the call", CallType.PRAISE, False, timedelta(hours=24), True),
        (
            "suggestion with requested reply never auto-archives",
            CallType.SUGGESTION,
            True,
            timedelta(hours=72),
            False,
        ),
        (
            "praise with requested reply never auto-archives",
            CallType.PRAISE,
            True,
            timedelta(hours=72),
            False,
        ),
        ("help requests never auto-archive", CallType.HELP, False, timedelta(hours=72), False),
    ],
)
def test_auto_archive(
    rule: str, call_type: CallType, requested: bool, after: timedelta, allowed: bool
) -> None:
    facts = order(call_type, S.DISPATCHED, reply_requested=requested)
    data = ActionInput(now=CALLED + after)
    if allowed:
        assert apply(facts, Action.AUTO_ARCHIVE, data).status is S.ARCHIVED, rule
    else:
        with pytest.raises(RuleViolation):
            apply(facts, Action.AUTO_ARCHIVE, data)


def test_close_unforwardable_report_notifies_leader() -> None:
    out = apply(order(CallType.REPORT, S.REGISTERED, forwardable=False), Action.CLOSE)
    assert out.status is S.ARCHIVED
    assert Effect.NOTIFY_HOTLINE_LEADER in out.effects


def test_allowed_actions_from_registered() -> None:
    assert set(allowed_actions(order(CallType.HELP, S.REGISTERED))) == {
        Action.ANSWER_FROM_KB,
        Action.DISPATCH,
        Action.MARK_SIMPLE,
        Action.ARCHIVE_EMERGENCY,
        Action.CLOSE,
    }
