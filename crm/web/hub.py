"""Push to the browsers: screen pops, emergency banners and the wallboard over WebSocket.

One hub task per CRM process reads the notifier (applied call events), loads what a message
needs from the database once, and hands it to each signed-in console after ``redact`` for that
person. A slow browser has a bounded queue and loses its oldest frames; the call path never
waits for a browser. Across several CRM workers this fan-out would need the database or a
broker (the notifier is in-process); see the README.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import WebSocket
from sqlalchemy import func, select

from callmodel.calltypes import TicketStatus
from callmodel.events import AgentRinging
from crm.accounts.services import Staff
from crm.bridge.translate import translate
from crm.domain.access import Role
from crm.domain.redaction import redact
from crm.domain.workcalendar import CHINA_TZ
from crm.models import Call
from crm.models.calls import Ticket
from crm.models.workorders import TicketDetail
from crm.web.pop import build_pop, call_of

log = logging.getLogger(__name__)

WALLBOARD_ROLES = (Role.SUPERVISOR, Role.SHIFT_LEADER, Role.HOTLINE_LEADER)
SERVICE_LEVEL_SECONDS = 20  # answered within 20 s of queueing counts as in service level
WALLBOARD_KINDS = {
    "call_started", "call_routed", "queue_joined", "agent_ringing", "agent_answered",
    "agent_completed", "queue_abandoned", "call_ended", "overdue", "agent_state",
}  # fmt: skip


@dataclass(eq=False)
class Console:
    staff: Staff
    ws: WebSocket
    outbox: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(64))

    def push(self, frame: dict[str, Any]) -> None:
        if self.outbox.full():
            self.outbox.get_nowait()
        self.outbox.put_nowait(redact(self.staff.viewer, frame))


class Hub:
    def __init__(self, state: Any) -> None:
        self.state = state
        self.consoles: set[Console] = set()
        self.task: asyncio.Task[None] | None = None
        # From the raw AMI stream, by caller Uniqueid: when AgentCalled came (pop latency) and
        # which phones ring. The applied agent_ringing event does not record the interface (a
        # ring-all queue rings several); Asterisk's AgentCalled names each one.
        self.agent_called: dict[str, float] = {}
        self.ringing: dict[str, list[str]] = {}
        self.popped: dict[str, set[str]] = {}
        # Pops built ahead of the ring (when the caller joins a queue), so the ring itself only
        # has to send: the ring's own database write is not on the pop's path.
        self.prepared: dict[str, dict[str, Any]] = {}
        self.received: dict[str, float] = {}  # when the AgentCalled reached us (benchmark)
        self._wallboard_pending = False

    # AMI raw listener, called by the bridge for every event before it is applied. AgentCalled
    # goes through the bridge's own translation (crm.bridge.translate) to the typed
    # AgentRinging; the pop is sent at once if it was prepared, else when the event is applied.
    def ami_event(self, headers: Mapping[str, str]) -> None:
        if headers.get("Event") == "AgentCalled" and headers.get("Uniqueid"):
            event = translate(headers)
            try:
                stamp = float(headers.get("Timestamp") or time.time())
            except ValueError:
                stamp = time.time()
            uniqueid = headers["Uniqueid"]
            self.agent_called.setdefault(uniqueid, stamp)
            self.received.setdefault(uniqueid, time.time())
            interface = headers.get("Interface") or headers.get("MemberName") or ""
            self.ringing.setdefault(uniqueid, []).append(interface)
            for table in (
                self.agent_called,
                self.received,
                self.ringing,
                self.popped,
                self.prepared,
            ):
                if len(table) > 1000:
                    table.pop(next(iter(table)))  # type: ignore[attr-defined]
            if isinstance(event, AgentRinging) and uniqueid in self.prepared:
                self._send_pop(uniqueid, self.prepared[uniqueid], [event.agent_interface])

    def ensure_started(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name="web-hub")

    async def _run(self) -> None:
        async with self.state.notifier.subscribe() as queue:
            while True:
                message = await queue.get()
                try:
                    await self.handle(message)
                except Exception:
                    log.exception("web hub: could not handle %r", message.get("kind"))

    async def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("kind")
        if kind == "agent_ringing":
            await self._pop(message["uniqueid"])
        elif kind in ("call_started", "queue_joined") and self.consoles:
            await self._prepare(message["uniqueid"])
        elif kind == "call_routed":
            await self._maybe_emergency(message["uniqueid"])
            uniqueid = message["uniqueid"]
            if uniqueid in self.popped or uniqueid in self.prepared:
                await self._pop(uniqueid, update=True)  # the IVR choice arrived after the ring
        if kind in WALLBOARD_KINDS:
            self.wallboard_soon()

    async def _pop(self, uniqueid: str, update: bool = False) -> None:
        def load() -> tuple[list[str], dict[str, Any] | None]:
            with self.state.sessions() as session:
                call = call_of(session, uniqueid)
                if call is None or call.ticket is None:
                    return [], None
                rung = list(self.ringing.get(uniqueid, []))
                if call.agent_interface:
                    rung.append(call.agent_interface)
                return rung, build_pop(session, call, self.state.agents.menu)

        interfaces, pop = await asyncio.to_thread(load)
        if pop is None:
            return
        if update:
            self.prepared[uniqueid] = pop
        self._send_pop(uniqueid, pop, interfaces, update=update)

    async def _prepare(self, uniqueid: str) -> None:
        def load() -> dict[str, Any] | None:
            with self.state.sessions() as session:
                call = call_of(session, uniqueid)
                if call is None or call.ticket is None:
                    return None
                return build_pop(session, call, self.state.agents.menu)

        pop = await asyncio.to_thread(load)
        if pop is not None:
            self.prepared[uniqueid] = pop
            if self.ringing.get(uniqueid):  # it rang while we were building: send or update
                self._send_pop(uniqueid, pop, self.ringing[uniqueid])
                self._send_pop(uniqueid, pop, [], update=True)

    def _send_pop(
        self, uniqueid: str, pop: dict[str, Any], interfaces: list[str], update: bool = False
    ) -> None:
        pop = {
            **pop,
            "agent_called_at": self.agent_called.get(uniqueid),
            "ami_received_at": self.received.get(uniqueid),
            "sent_at": time.time(),
        }
        done = self.popped.setdefault(uniqueid, set())
        extensions = {i.split("/", 1)[-1] for i in interfaces if i}
        targets = done if update else extensions - done
        done.update(targets)
        for console in list(self.consoles):
            if console.staff.extension in targets:
                console.push({"type": "pop", "pop": pop})

    async def _maybe_emergency(self, uniqueid: str) -> None:
        def load() -> dict[str, Any] | None:
            with self.state.sessions() as session:
                call = call_of(session, uniqueid)
                if call is None or call.route != "emergency":
                    return None
                return {
                    "uniqueid": call.uniqueid,
                    "ticket": call.ticket.number if call.ticket else None,
                    "caller_number": call.caller_number,
                    "started_at": call.started_at.isoformat() if call.started_at else None,
                    "urgent_words": call.urgent_words,
                    "reason": call.route_reason,
                }

        alert = await asyncio.to_thread(load)
        if alert is not None:
            self.broadcast({"type": "emergency", "alert": alert})

    def broadcast(self, frame: dict[str, Any], *roles: Role) -> None:
        """A frame to every signed-in console of these roles (every console when none)."""
        for console in list(self.consoles):
            if not roles or console.staff.has(*roles):
                console.push(frame)

    def wallboard_soon(self) -> None:
        """Coalesce bursts of events into one wallboard computation a moment later."""
        if self._wallboard_pending or not any(c.staff.has(*WALLBOARD_ROLES) for c in self.consoles):
            return
        self._wallboard_pending = True

        async def later() -> None:
            await asyncio.sleep(0.2)
            self._wallboard_pending = False
            board = await asyncio.to_thread(wallboard, self.state)
            for console in list(self.consoles):
                if console.staff.has(*WALLBOARD_ROLES):
                    console.push({"type": "wallboard", "board": board})

        asyncio.get_running_loop().create_task(later())

    async def serve(self, staff: Staff, ws: WebSocket) -> None:
        self.ensure_started()
        console = Console(staff, ws)
        self.consoles.add(console)
        sender = asyncio.create_task(self._send(console))
        try:
            console.push({"type": "hello", "user": staff.username})
            if staff.has(*WALLBOARD_ROLES):
                console.push(
                    {"type": "wallboard", "board": await asyncio.to_thread(wallboard, self.state)}
                )
            while True:
                await ws.receive_text()  # pings; the page never sends anything we act on
        finally:
            self.consoles.discard(console)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender

    async def _send(self, console: Console) -> None:
        while True:
            frame = await console.outbox.get()
            await console.ws.send_json(frame)


def _local_midnight(state: Any) -> datetime:
    now = datetime.now(CHINA_TZ)  # the hotline's day (crm.domain.workcalendar)
    return now.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def wallboard(state: Any) -> dict[str, Any]:
    """Figures of today (local day) and of this moment, per queue and in total."""
    now = datetime.now(UTC)
    since = _local_midnight(state)
    with state.sessions() as session:
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
    }
