"""The seven call types' reply limits and stage limits.

Source: docs/hotline-rules.md, "Call types and their limits".

One table, ``TYPE_RULES``, holds every number the spec gives per type, so a change of regulation is
a change of one row and the test that names it. Deadlines are computed from the call's timestamp
(not from when an agent got round to typing), because that is when the citizen started waiting.

Hour limits are plain clock hours: the hotline and the units' duty lines run around the clock.
Limits the spec states in working days (complaint, report) — and the complaint unit's "3 days 22 h",
which is the 4-working-day reply limit less the hotline's 2 hours — are counted in working-day time
(see ``workcalendar``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from callmodel.calltypes import CallType, TicketStatus
from crm.domain.workcalendar import add_working_time, calendar_known, to_china

# Numbers that hold for every type.
ANSWER_WITHIN_RINGS = 3  # 铃响三声以内接听
EMERGENCY_NUMBER = "110"  # city emergency command centre
GENERAL_INFO_NUMBER = "114"  # shops, phone numbers: "please dial 114"
HOTLINE_NUMBER = "12345"


@dataclass(frozen=True)
class Limit:
    """A span of time, either clock time or working-day time."""

    amount: timedelta
    working: bool = False

    def due(self, start: datetime) -> datetime:
        if self.working:
            return add_working_time(start, self.amount)
        return to_china(start) + self.amount

    @property
    def label(self) -> str:
        """How the limit is shown to staff, in Chinese."""
        if self.amount == timedelta(0):
            return "立即"
        days, rest = self.amount.days, self.amount - timedelta(days=self.amount.days)
        hours, minutes = rest.seconds // 3600, rest.seconds % 3600 // 60
        parts: list[str] = []
        if self.working and not rest:
            return f"{days}个工作日"
        if days and not self.working:
            hours += days * 24
            days = 0
        if days:
            parts.append(f"{days}个工作日")
        if hours:
            parts.append(f"{hours}小时")
        if minutes:
            parts.append(f"{minutes}分钟")
        return "".join(parts)


def hours(n: float) -> Limit:
    return Limit(timedelta(hours=n))


def minutes(n: float) -> Limit:
    return Limit(timedelta(minutes=n))


def working_days(days: int, extra_hours: int = 0) -> Limit:
    return Limit(timedelta(days=days, hours=extra_hours), working=True)


IMMEDIATE = Limit(timedelta(0))


@dataclass(frozen=True)
class TalkTarget:
    """Talk-time service target: ``share`` of calls handled within ``within`` minutes.

    ``typical`` is the range the spec gives as the normal talk time (e.g. 1-3 min), ``max_talk``
    a hard ceiling where the spec states one (report: at most 5 min).
    """

    share: float
    within_minutes: float
    typical_minutes: tuple[float, float]
    max_talk_minutes: float | None = None


@dataclass(frozen=True)
class TypeRule:
    """Everything the spec says, numerically, about one call type."""

    call_type: CallType
    # Reply to the caller (回复时限). None: no reply owed (invalid; suggestion/praise by default).
    reply_limit: Limit | None
    # When the caller insists on a reply (suggestion, praise).
    reply_limit_if_requested: Limit | None = None
    # Archive after this long when the unit has not replied and no reply was requested.
    archive_without_reply_after: Limit | None = None
    front_desk_limit: Limit | None = None  # consultation: handled at the front desk within 4 h
    dispatch_within: Limit | None = None  # 下派工单 within
    unit_feedback_within: Limit | None = None  # 成员单位反馈 within
    dispatch_note_feedback: Limit | None = None  # what the dispatch note tells the unit
    talk: TalkTarget | None = None
    handled_share_min: float | None = None  # consultation: >= 90 % of calls handled
    confidential: bool = False
    requires_contact: bool = False
    requires_target: bool = False
    notify_hotline_leader: bool = False
    transfer_to: str | None = None


TYPE_RULES: dict[CallType, TypeRule] = {
    CallType.CONSULTATION: TypeRule(
        CallType.CONSULTATION,
        reply_limit=hours(48),
        front_desk_limit=hours(4),
        unit_feedback_within=hours(44),  # "1 day 20 h"
        talk=TalkTarget(share=0.80, within_minutes=2, typical_minutes=(1, 2)),
        handled_share_min=0.90,
    ),
    CallType.HELP: TypeRule(
        CallType.HELP,
        reply_limit=hours(24),
        dispatch_within=hours(2),
        unit_feedback_within=hours(20),
        dispatch_note_feedback=hours(22),
        talk=TalkTarget(share=0.80, within_minutes=3, typical_minutes=(1, 3)),
        requires_contact=True,
    ),
    CallType.EMERGENCY: TypeRule(
        CallType.EMERGENCY,
        reply_limit=IMMEDIATE,
        dispatch_within=IMMEDIATE,
        unit_feedback_within=minutes(15),
        dispatch_note_feedback=minutes(15),
        talk=TalkTarget(share=0.80, within_minutes=2, typical_minutes=(1, 2)),
        notify_hotline_leader=True,
        transfer_to=EMERGENCY_NUMBER,
    ),
    CallType.COMPLAINT: TypeRule(
        CallType.COMPLAINT,
        reply_limit=working_days(4),
        dispatch_within=hours(2),
        unit_feedback_within=working_days(3, extra_hours=22),
        dispatch_note_feedback=working_days(3, extra_hours=22),
        talk=TalkTarget(share=0.80, within_minutes=2, typical_minutes=(1, 2)),
        requires_contact=True,
        requires_target=True,
    ),
    CallType.REPORT: TypeRule(
        CallType.REPORT,
        reply_limit=working_days(10),
        dispatch_within=hours(4),
        talk=TalkTarget(share=0.80, within_minutes=3, typical_minutes=(1, 3), max_talk_minutes=5),
        confidential=True,
        requires_contact=True,
        requires_target=True,
        notify_hotline_leader=True,
    ),
    CallType.SUGGESTION: TypeRule(
        CallType.SUGGESTION,
        reply_limit=None,
        reply_limit_if_requested=hours(48),
        archive_without_reply_after=hours(24),
        dispatch_within=hours(4),
        unit_feedback_within=hours(44),  # "longest limit 44 h"
        dispatch_note_feedback=hours(44),
        talk=TalkTarget(share=0.80, within_minutes=3, typical_minutes=(1, 3)),
    ),
    CallType.PRAISE: TypeRule(
        CallType.PRAISE,
        reply_limit=None,
        reply_limit_if_requested=hours(24),
        archive_without_reply_after=hours(24),
        dispatch_within=hours(4),
        unit_feedback_within=hours(22),  # "longest limit 22 h"
        dispatch_note_feedback=hours(22),
        talk=TalkTarget(share=0.80, within_minutes=3, typical_minutes=(1, 3)),
    ),
    CallType.INVALID: TypeRule(CallType.INVALID, reply_limit=None),
}


def rule_for(call_type: CallType | str) -> TypeRule:
    return TYPE_RULES[CallType(call_type)]


@dataclass(frozen=True)
class Deadlines:
    """The due times of one ticket, all computed from the call's timestamp.

    ``provisional`` is True when a working-day limit crossed into a year whose official calendar
    is not yet published (weekday rule used); the UI shows it so the shift leader can check.
    """

    called_at: datetime
    reply_due: datetime | None
    dispatch_due: datetime | None
    unit_feedback_due: datetime | None
    archive_due: datetime | None
    provisional: bool = False
    # Consultation: answered at the front desk (or handed to a unit) within 4 h.
    front_desk_due: datetime | None = None

    def items(self) -> dict[str, datetime]:
        named = {
            "front_desk": self.front_desk_due,
            "reply": self.reply_due,
            "dispatch": self.dispatch_due,
            "unit_feedback": self.unit_feedback_due,
            "archive": self.archive_due,
        }
        return {k: v for k, v in named.items() if v is not None}


def compute_deadlines(
    call_type: CallType | str, called_at: datetime, *, reply_requested: bool = False
) -> Deadlines:
    """All due times of a ticket of ``call_type`` received at ``called_at``.

    Suggestion / praise: without a requested reply the ticket is archived 24 h after the call if the
    unit has not replied; with one, the caller is owed a reply (48 h / 24 h) and nothing
    auto-archives.
    """
    rule = rule_for(call_type)
    start = to_china(called_at)

    def due(limit: Limit | None) -> datetime | None:
        return limit.due(start) if limit is not None else None

    reply = rule.reply_limit
    archive = rule.archive_without_reply_after
    if reply_requested and rule.reply_limit_if_requested is not None:
        reply, archive = rule.reply_limit_if_requested, None
    result = Deadlines(
        called_at=start,
        reply_due=due(reply),
        dispatch_due=due(rule.dispatch_within),
        unit_feedback_due=due(rule.unit_feedback_within),
        archive_due=due(archive),
        front_desk_due=due(rule.front_desk_limit),
    )
    provisional = any(not calendar_known(d.date()) for d in result.items().values())
    provisional = provisional and any(
        lim is not None and lim.working for lim in (reply, rule.unit_feedback_within)
    )
    if provisional:
        return Deadlines(**{**result.__dict__, "provisional": True})
    return result


def time_left(due: datetime, now: datetime) -> timedelta:
    """Clock time until ``due`` (negative once overdue): what the ticket view shows."""
    return to_china(due) - to_china(now)


# Which stage deadline still matters in which status: once the stage is done it cannot be late.
_OPEN_FOR_STAGE: dict[str, frozenset[TicketStatus]] = {
    # docs/hotline-rules.md, call-type table: a consultation's front-desk handling (4 h) ends
    # when it is answered (from the knowledge base) or handed to a unit.
    "front_desk": frozenset({TicketStatus.REGISTERED}),
    "dispatch": frozenset({TicketStatus.REGISTERED}),
    "unit_feedback": frozenset({TicketStatus.DISPATCHED}),
    "reply": frozenset({TicketStatus.REGISTERED, TicketStatus.DISPATCHED, TicketStatus.REPLIED}),
}


def overdue_stages(deadlines: Deadlines, status: TicketStatus, now: datetime) -> list[str]:
    """The stages of a ticket in ``status`` whose due time has passed at ``now``."""
    now_cn = to_china(now)
    return [
        stage
        for stage, due in deadlines.items().items()
        if stage in _OPEN_FOR_STAGE and status in _OPEN_FOR_STAGE[stage] and now_cn > due
    ]


def archive_is_due(deadlines: Deadlines, status: TicketStatus, now: datetime) -> bool:
    """Suggestion/praise without a requested reply: still waiting on the unit when 24 h passed."""
    return (
        deadlines.archive_due is not None
        and status == TicketStatus.DISPATCHED
        and to_china(now) >= deadlines.archive_due
    )
