"""The wallboard's figures (质检 and 值班长): today's calls per queue, waiting callers, service
level, overdue orders and the agents' queue state, and from 1 November a warning while next
year's holiday schedule is missing. Read-only; the hub pushes it to the consoles.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from callmodel import dialplan
from callmodel.calltypes import TicketStatus
from crm.domain import messages as msg
from crm.domain.access import Role
from crm.domain.workcalendar import CHINA_TZ, next_year_unpublished
from crm.models import Alert, Call
from crm.models.accounts import WebCredential
from crm.models.calls import Ticket
from crm.models.workorders import StaffUser, TicketDetail

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


def _aware(moment: datetime) -> datetime:
    """A stored moment may come back without its zone (UTC); the wallboard subtracts aware
    times."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _on_phone(calls: list[Call]) -> dict[str, tuple[str, datetime]]:
    """Each extension's current call: talking since the answer, or ringing since it was
    called. The consoles count the time from these moments, so a call's timer ticks without
    waiting for the next event."""
    out: dict[str, tuple[str, datetime]] = {}
    for call in calls:
        if call.ended_at is not None or not call.agent_interface:
            continue
        extension = call.agent_interface.split("/", 1)[-1]
        if call.answered_at is not None:
            out[extension] = ("talking", _aware(call.answered_at))
        elif call.agent_called_at is not None and extension not in out:
            out[extension] = ("ringing", _aware(call.agent_called_at))
    return out


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
        # The person who answers on each desk phone (their account's extension), by name.
        people = dict(
            session.execute(
                select(WebCredential.agent_extension, StaffUser.display_name)
                .join(StaffUser, StaffUser.id == WebCredential.user_id)
                .where(WebCredential.agent_extension.is_not(None), StaffUser.active.is_(True))
            ).all()
        )
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

    oldest: dict[str, datetime] = {}
    for call in calls:
        if call.queue is None:
            continue
        # Asterisk names the queue hotline-general, the menu general: one row, the menu's label.
        row = q(dialplan.menu_queue(call.queue))
        if call.outcome == "queued" and call.ended_at is None and call.queued_at:
            row["waiting"] += 1
            queued_at = _aware(call.queued_at)
            row["longest_wait"] = max(row["longest_wait"], int((now - queued_at).total_seconds()))
            if row["queue"] not in oldest or queued_at < oldest[row["queue"]]:
                oldest[row["queue"]] = queued_at
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
    for row in queues.values():
        row["oldest_queued_at"] = (
            oldest[row["queue"]].isoformat() if row["queue"] in oldest else None
        )
    total["oldest_queued_at"] = min(oldest.values()).isoformat() if oldest else None
    for row in [*queues.values(), total]:
        offered = row["answered"] + row["abandoned"]
        row["service_level"] = round(100 * row["in_sl"] / offered, 1) if offered else None
    states = {s.extension: s for s in state.agents.states()}
    on_phone = _on_phone(calls)
    agents = []
    for a in state.settings.agents:
        signed = states.get(a.extension)
        phone, since_at = on_phone.get(a.extension, (None, None))
        agents.append(
            {
                "extension": a.extension,
                "name": people.get(a.extension) or a.name,
                "phone_name": a.name,
                "queues": list(signed.queues or []) if signed else [],
                "paused": bool(signed and signed.paused),
                "pause_reason": signed.pause_reason if signed else None,
                # ringing | talking | None: what the desk phone is doing now
                "call_state": phone,
                "call_since": since_at.isoformat() if since_at else None,
            }
        )
    return {
        "at": now.isoformat(),
        "queues": sorted(queues.values(), key=lambda r: r["queue"]),
        "total": total,
        "overdue_orders": overdue or 0,
        "agents": agents,
        "alerts": alerts,
        "calendar_warning": calendar_warning(state),
    }
