"""The wallboard's figures (质检 and 值班长): today's calls per queue, waiting callers, service
level, overdue orders and the agents' queue state, and from 1 November a warning while next
year's holiday schedule is missing. Read-only; the hub pushes it to the consoles.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from callmodel.calltypes import TicketStatus
from crm.domain import messages as msg
from crm.domain.access import Role
from crm.domain.workcalendar import CHINA_TZ, next_year_unpublished
from crm.models import Alert, Call
from crm.models.calls import Ticket
from crm.models.workorders import TicketDetail

SERVICE_LEVEL_SECONDS = 20  # answered within 20 s of queueing counts as in service level


def _local_midnight(state: Any) -> datetime:
    now = datetime.now(CHINA_TZ)  # the hotline's day (crm.domain.workcalendar)
    return now.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def calendar_warning(state: Any) -> str | None:
    """From 1 November, while next year has no published schedule, the deadlines crossing into
    it are counted by the law alone (provisional): say so until an operator enters the State
    Council's notice (docs/hotline-rules.md, "Call types and their limits"). The day is the
    hotline's (China time), on the clock tests freeze when they set one."""
    frozen = getattr(state, "clock", None)
    today = (frozen() if frozen else datetime.now(UTC)).astimezone(CHINA_TZ).date()
    if not next_year_unpublished(today):
        return None
    return msg.NEXT_YEAR_SCHEDULE_MISSING.format(year=today.year + 1)


def wallboard(state: Any) -> dict[str, Any]:
    """Figures of today (local day) and of this moment, per queue and in total."""
    now = datetime.now(UTC)
    since = _local_midnight(state)
    with state.sessions() as session:
        # What the supervisors must act on: a recording not written, no speech model …
        alerts = [
            {"kind": a.kind, "message": a.message, "at": a.created_at.isoformat()}
            for a in session.scalars(
                select(Alert)
                .where(Alert.audience == Role.SUPERVISOR.value, Alert.acknowledged_at.is_(None))
                .order_by(Alert.id.desc())
                .limit(20)
            )
        ]
        calls = list(
            session.scalars(select(Call).where(Call.started_at >= since - timedelta(hours=1)))
        )
        overdue = session.scalar(
            select(func.count())
            .select_from(TicketDetail)
            .join(Ticket, Ticket.id == TicketDetail.ticket_id)
            .where(TicketDetail.reply_due < now)
            .where(
                Ticket.status.in_([TicketStatus.REGISTERED.value, TicketStatus.DISPATCHED.value])
            )
        )
    queues: dict[str, dict[str, Any]] = {}
    labels = {name: spec.label for name, spec in state.agents.menu.queues.items()}

    def q(name: str | None) -> dict[str, Any]:
        return queues.setdefault(
            name or "-",
            {
                "queue": name or "-",
                "label": labels.get(name or "-", name or "-"),
                "waiting": 0,
                "longest_wait": 0,
                "answered": 0,
                "abandoned": 0,
                "in_sl": 0,
            },
        )

    for call in calls:
        if call.queue is None:
            continue
        row = q(call.queue)
        if call.outcome == "queued" and call.ended_at is None and call.queued_at:
            row["waiting"] += 1
            row["longest_wait"] = max(
                row["longest_wait"], int((now - call.queued_at).total_seconds())
            )
        if call.started_at < since:
            continue
        if call.outcome == "answered":
            row["answered"] += 1
            if call.hold_seconds is not None and call.hold_seconds <= SERVICE_LEVEL_SECONDS:
                row["in_sl"] += 1
        elif call.outcome == "abandoned_queue":
            row["abandoned"] += 1
    total = {
        "queue": "合计",
        "label": "合计",
        "waiting": 0,
        "longest_wait": 0,
        "answered": 0,
        "abandoned": 0,
        "in_sl": 0,
    }
    for row in queues.values():
        for key in ("waiting", "answered", "abandoned", "in_sl"):
            total[key] += row[key]
        total["longest_wait"] = max(total["longest_wait"], row["longest_wait"])
    for row in [*queues.values(), total]:
        offered = row["answered"] + row["abandoned"]
        row["service_level"] = round(100 * row["in_sl"] / offered, 1) if offered else None
    states = {s.extension: s for s in state.agents.states()}
    agents = [
        {
            "extension": a.extension,
            "name": a.name,
            "queues": list(states[a.extension].queues or []) if a.extension in states else [],
            "paused": bool(a.extension in states and states[a.extension].paused),
        }
        for a in state.settings.agents
    ]
    return {
        "at": now.isoformat(),
        "queues": sorted(queues.values(), key=lambda r: r["queue"]),
        "total": total,
        "overdue_orders": overdue or 0,
        "agents": agents,
        "alerts": alerts,
        "calendar_warning": calendar_warning(state),
    }
