"""The ticket (定单) lifecycle as a state machine.

    registered ─answer_from_kb─► answered ─archive─► archived
        │ ├─dispatch / mark_simple─► dispatched ─unit_reply / reviewer_record─► replied
        │ │                 └─auto_archive (suggestion/praise, 24 h, no reply asked)─► archived
        │ └─archive_emergency (transfer to 110, hotline leader told) ─► archived
        └─close (invalid, not forwardable, special line) ─► archived
    replied ─answer_caller─► caller_answered ─return_visit─► visited ─archive─► archived

Why a table and guards instead of methods on the ORM model: the same rules must hold whether the
order changes through the API, the AMI bridge or the overdue scheduler, and they must be testable
without a database. ``apply`` never mutates; it returns the new status and the side effects the
caller must carry out (notify the hotline leader, tell the caller something).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from callmodel.calltypes import CallType, TicketStatus
from crm.domain.deadlines import compute_deadlines
from crm.domain.errors import RuleViolation
from crm.domain.workcalendar import to_china

S = TicketStatus

# An open order: still waiting for the hotline or a unit (registered, dispatched, or replied by
# the unit and not yet answered to the caller). Chase warnings, the dispatch queue, the overdue
# scan and the wallboard's overdue count all mean this.
OPEN_STATUSES = frozenset({S.REGISTERED, S.DISPATCHED, S.REPLIED})


class Action(StrEnum):
    ANSWER_FROM_KB = "answer_from_kb"
    DISPATCH = "dispatch"
    MARK_SIMPLE = "mark_simple"
    UNIT_REPLY = "unit_reply"
    REVIEWER_RECORD = "reviewer_record"
    ANSWER_CALLER = "answer_caller"
    RETURN_VISIT = "return_visit"
    ARCHIVE = "archive"
    ARCHIVE_EMERGENCY = "archive_emergency"
    AUTO_ARCHIVE = "auto_archive"
    CLOSE = "close"


class Effect(StrEnum):
    NOTIFY_HOTLINE_LEADER = "notify_hotline_leader"
    RETURN_TO_SHIFT_LEADER = "return_to_shift_leader"
    TELL_CALLER = "tell_caller"


TRANSITIONS: dict[Action, tuple[frozenset[TicketStatus], TicketStatus]] = {
    Action.ANSWER_FROM_KB: (frozenset({S.REGISTERED}), S.ANSWERED),
    Action.DISPATCH: (frozenset({S.REGISTERED}), S.DISPATCHED),
    Action.MARK_SIMPLE: (frozenset({S.REGISTERED}), S.DISPATCHED),
    Action.UNIT_REPLY: (frozenset({S.DISPATCHED}), S.REPLIED),
    Action.REVIEWER_RECORD: (frozenset({S.DISPATCHED}), S.REPLIED),
    Action.ANSWER_CALLER: (frozenset({S.REPLIED}), S.CALLER_ANSWERED),
    Action.RETURN_VISIT: (frozenset({S.CALLER_ANSWERED}), S.VISITED),
    Action.ARCHIVE: (frozenset({S.ANSWERED, S.VISITED}), S.ARCHIVED),
    Action.ARCHIVE_EMERGENCY: (frozenset({S.REGISTERED}), S.ARCHIVED),
    Action.AUTO_ARCHIVE: (frozenset({S.DISPATCHED}), S.ARCHIVED),
    Action.CLOSE: (frozenset({S.REGISTERED}), S.ARCHIVED),
}


@dataclass(frozen=True)
class OrderFacts:
    """What the rules need to know about an order to judge an action."""

    call_type: CallType
    status: TicketStatus
    called_at: datetime
    forwardable: bool = True
    reply_requested: bool = False
    simple: bool = False


@dataclass(frozen=True)
class ActionInput:
    """The data an action brings with it (only the fields that action needs are read)."""

    kb_article_id: int | None = None
    unit_id: int | None = None
    reason: str | None = None  # simple work order
    answered_by: str | None = None  # reviewer: who at the unit answered
    answer: str | None = None  # unit reply or what the unit's contact said
    satisfaction: int | None = None  # return visit, 1..5
    now: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    status: TicketStatus
    simple: bool = False
    effects: tuple[Effect, ...] = field(default_factory=tuple)


SATISFACTION_RANGE = range(1, 6)  # 1 very dissatisfied … 5 very satisfied


def _require(cond: bool, rule: str, message: str) -> None:
    if not cond:
        raise RuleViolation(rule, message)


def apply(order: OrderFacts, action: Action, data: ActionInput | None = None) -> Outcome:
    """Judge ``action`` on ``order``; return the new status and the effects, or raise."""
    data = data or ActionInput()
    sources, target = TRANSITIONS[action]
    _require(
        order.status in sources,
        "lifecycle",
        f"定单状态为“{order.status.label}”，不能执行“{action.value}”。",
    )
    ct = order.call_type
    effects: list[Effect] = []
    simple = order.simple

    if action is Action.ANSWER_FROM_KB:
        _require(data.kb_article_id is not None, "kb_answer", "须注明答复所用的知识库条目。")
        _require(
            ct not in (CallType.EMERGENCY, CallType.REPORT, CallType.COMPLAINT),
            "kb_answer",
            "紧急求助、投诉和举报不能仅以知识库答复结案。",
        )
    elif action in (Action.DISPATCH, Action.MARK_SIMPLE):
        _require(order.forwardable, "not_forwardable", "该定单缺少必要信息，不能转办。")
        _require(ct is not CallType.INVALID, "invalid", "无效来电不派单。")
        _require(data.unit_id is not None, "dispatch", "须指定承办单位。")
        if action is Action.MARK_SIMPLE:
            _require(bool((data.reason or "").strip()), "simple_order", "简易工单须填写原因。")
            simple = True
    elif action is Action.UNIT_REPLY:
        _require(not order.simple, "simple_order", "简易工单由审核人员记录单位答复。")
        _require(bool((data.answer or "").strip()), "unit_reply", "须填写单位反馈内容。")
    elif action is Action.REVIEWER_RECORD:
        _require(order.simple, "simple_order", "仅简易工单由审核人员记录单位答复。")
        _require(
            bool((data.answered_by or "").strip()) and bool((data.answer or "").strip()),
            "simple_order",
            "须记录单位接听人及答复内容。",
        )
        effects.append(Effect.RETURN_TO_SHIFT_LEADER)
    elif action is Action.RETURN_VISIT:
        _require(data.satisfaction in SATISFACTION_RANGE, "return_visit", "满意度须为1至5。")
    elif action is Action.ARCHIVE_EMERGENCY:
        _require(ct is CallType.EMERGENCY, "emergency", "仅紧急求助可立即归档。")
        effects.append(Effect.NOTIFY_HOTLINE_LEADER)
    elif action is Action.AUTO_ARCHIVE:
        _require(
            ct in (CallType.SUGGESTION, CallType.PRAISE) and not order.reply_requested,
            "auto_archive",
            "仅未要求回复的意见建议、表扬可自动归档。",
        )
        _require(data.now is not None, "auto_archive", "须提供当前时间。")
        assert data.now is not None
        due = compute_deadlines(ct, order.called_at).archive_due
        _require(
            due is not None and to_china(data.now) >= due,
            "auto_archive",
            "未满24小时，不能自动归档。",
        )
    elif action is Action.CLOSE:
        _require(
            ct is CallType.INVALID or not order.forwardable,
            "close",
            "可转办的定单须派单或答复后归档。",
        )
        if ct is CallType.REPORT:
            effects.append(Effect.NOTIFY_HOTLINE_LEADER)
    return Outcome(status=target, simple=simple, effects=tuple(effects))


def allowed_actions(order: OrderFacts) -> list[Action]:
    """Actions whose status precondition holds (guards on data are checked by ``apply``)."""
    return [a for a, (sources, _) in TRANSITIONS.items() if order.status in sources]
