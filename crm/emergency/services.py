"""The call-emergency plan carried out: alerts, post-event summaries and the harassment blocklist.

docs/hotline-rules.md, "Call-emergency plan": once a call is judged fraud, harassment or
emergency, the handling group and then leadership are told (one ``Alert`` row per audience, in
the plan's order; the consoles are pushed ``crm.notifications.PlanAlerted``); after the event
the hotline leader writes the summary (cause, improvements). Harassing numbers may be hung up
and recorded: the blocklist says which, until when, and why, and every change is audited.

None of these commits: the caller owns the transaction. Nothing here is on the urgent path —
the FastAGI server asks ``is_blocked`` only once the caller did not choose 110.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from callmodel.phones import normalize_phone
from crm import audit
from crm.domain.access import Viewer
from crm.domain.emergency_plan import (
    EmergencyPlan,
    PlanKind,
    alert_message,
    default_plan,
    judged_kind,
)
from crm.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from crm.models.calls import Alert, Ticket
from crm.models.emergency import BlockedNumber, EmergencySummary
from crm.models.workorders import TicketDetail

PLAN_ALERT_PREFIX = "plan_"
# Alerts the call path raises for an emergency already (crm/calls/services.py): an audience
# that had one of these for the ticket is not told a second time.
EMERGENCY_ALERT_KINDS = ("emergency", "emergency_dispatch", "emergency_reported")


def plan_alert_kind(kind: PlanKind) -> str:
    return f"{PLAN_ALERT_PREFIX}{kind}"


def raise_plan_alerts(
    session: Session,
    ticket: Ticket,
    kind: PlanKind,
    plan: EmergencyPlan | None = None,
) -> list[Alert]:
    """Tell the plan's audiences of a ticket judged ``kind``, handling group first.

    Once per ticket, kind and audience: registering the ticket again changes nothing.
    """
    plan = plan or default_plan()
    steps = plan.for_kind(kind)
    session.flush()
    told = set(
        session.scalars(
            select(Alert.audience).where(
                Alert.ticket_id == ticket.id,
                Alert.kind.in_(
                    (plan_alert_kind(kind), *(EMERGENCY_ALERT_KINDS if kind == "emergency" else ()))
                ),
            )
        )
    )
    raised = []
    for order, role in enumerate(steps.alert, start=1):
        if role.value in told:
            continue
        alert = Alert(
            kind=plan_alert_kind(kind),
            audience=role.value,
            ticket_id=ticket.id,
            message=alert_message(steps, role, ticket.number, ticket.caller_number),
            data={
                "ticket": ticket.number,
                "caller": ticket.caller_number,
                "plan": kind,
                "label": steps.label,
                "steps": list(steps.steps),
                "order": order,
            },
        )
        session.add(alert)
        raised.append(alert)
    session.flush()
    return raised


def ticket_plan_kind(session: Session, ticket: Ticket) -> PlanKind | None:
    """The plan's kind a ticket was judged (by its registration or its call's route)."""
    detail = session.get(TicketDetail, ticket.id)
    route = ticket.call.route if ticket.call is not None else None
    if detail is not None:
        return judged_kind(detail.call_type, detail.rules or (), route)
    return judged_kind(ticket.call_type, (), route)


def write_summary(
    session: Session,
    ticket_id: int,
    cause: str,
    improvements: str,
    actor: Viewer,
    now: datetime,
) -> EmergencySummary:
    """事后总结 of one ticket handled by the plan; refused for a ticket the plan never saw."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("定单", ticket_id)
    kind = ticket_plan_kind(session, ticket)
    if kind is None:
        raise RuleViolation(
            "not_in_plan", f"定单 {ticket.number} 未判定为诈骗、骚扰或紧急求助，无需应急事后总结。"
        )
    summary = EmergencySummary(
        ticket_id=ticket.id,
        kind=kind,
        cause=cause,
        improvements=improvements,
        author=actor.username,
        created_at=now,
    )
    session.add(summary)
    session.flush()
    audit.record(
        session, actor.username, "emergency_summary", "ticket", ticket.id, summary=summary.id
    )
    return summary


def summaries(
    session: Session, ticket_id: int | None = None, limit: int = 100
) -> list[EmergencySummary]:
    query = select(EmergencySummary)
    if ticket_id is not None:
        query = query.where(EmergencySummary.ticket_id == ticket_id)
    return list(session.scalars(query.order_by(EmergencySummary.id.desc()).limit(limit)))


# The harassment blocklist ---------------------------------------------------------------------


def _active(now: datetime) -> ColumnElement[bool]:
    """In force now: neither removed nor expired."""
    return and_(BlockedNumber.removed_at.is_(None), BlockedNumber.expires_at > now)


def blocked_entries(
    session: Session, now: datetime, include_inactive: bool = False
) -> list[BlockedNumber]:
    """The entries in force (an expired or removed entry applies to nobody), newest first."""
    query = select(BlockedNumber)
    if not include_inactive:
        query = query.where(_active(now))
    return list(session.scalars(query.order_by(BlockedNumber.id.desc())))


def canonical_number(raw: str) -> str:
    number = normalize_phone(raw)
    if number is None:
        raise InvalidInput("号码无法识别，不能列入骚扰号码名单")
    return number


def block_number(
    session: Session,
    raw_number: str,
    reason: str,
    actor: Viewer,
    now: datetime,
    days: int | None = None,
    plan: EmergencyPlan | None = None,
) -> BlockedNumber:
    """List a harassing number for ``days`` (the plan's default when not given)."""
    plan = plan or default_plan()
    number = canonical_number(raw_number)
    try:
        expires_at = plan.blocklist_expiry(now, days)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    current = session.scalar(
        select(BlockedNumber).where(BlockedNumber.number == number, _active(now))
    )
    if current is not None:
        raise Conflict(
            f"号码 {number} 已在骚扰号码名单中（至 {current.expires_at:%Y-%m-%d %H:%M} UTC）"
        )
    entry = BlockedNumber(
        number=number, reason=reason, added_by=actor.username, added_at=now, expires_at=expires_at
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        actor.username,
        "blocklist_add",
        "blocked_number",
        entry.id,
        number=number,
        reason=reason,
        expires_at=expires_at.isoformat(),
    )
    return entry


def unblock_number(session: Session, entry_id: int, actor: Viewer, now: datetime) -> BlockedNumber:
    """End an entry now; it stays in the table with who ended it."""
    entry = session.get(BlockedNumber, entry_id)
    if entry is None:
        raise NotFound("骚扰号码", entry_id)
    if entry.removed_at is not None:
        raise Conflict(f"号码 {entry.number} 已于 {entry.removed_at:%Y-%m-%d %H:%M} UTC 移出名单")
    entry.removed_at = now
    entry.removed_by = actor.username
    audit.record(
        session, actor.username, "blocklist_remove", "blocked_number", entry.id, number=entry.number
    )
    return entry


def is_blocked(session: Session, raw_number: str | None, now: datetime) -> bool:
    """Whether calls from this number hear the blocklist message now."""
    number = normalize_phone(raw_number)
    if number is None:
        return False
    return (
        session.scalar(
            select(BlockedNumber.id).where(BlockedNumber.number == number, _active(now)).limit(1)
        )
        is not None
    )


def plan_alerts_of(session: Session, ticket_id: int) -> list[dict[str, Any]]:
    """The ticket's plan alerts not yet acknowledged, as the consoles show them."""
    rows = session.scalars(
        select(Alert)
        .where(
            Alert.ticket_id == ticket_id,
            Alert.kind.startswith(PLAN_ALERT_PREFIX),
            Alert.acknowledged_at.is_(None),
        )
        .order_by(Alert.id)
    )
    return [
        {
            "id": a.id,
            "kind": a.kind,
            "audience": a.audience,
            "ticket_id": a.ticket_id,
            "message": a.message,
            "data": a.data,
            "created_at": a.created_at.isoformat(),
        }
        for a in rows
    ]
