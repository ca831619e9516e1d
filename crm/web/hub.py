"""Push to the browsers: screen pops, emergency banners and the wallboard over WebSocket.

One hub task per CRM process subscribes to the notifier by type (applied call events, call-back
results, agent state, overdue orders), loads what a message needs from the database once, and
hands it to each signed-in console after ``redact`` for that person. A slow browser has a
bounded queue and loses its oldest frames; the call path never waits for a browser. Across
several CRM workers this fan-out would need the database or a broker (the notifier is
in-process); see the README.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import WebSocket

from callmodel.events import (
    AgentAnswered,
    AgentCompleted,
    AgentRinging,
    CallEnded,
    CallRouted,
    CallStarted,
    EmergencyDialEnded,
    EmergencyDialStarted,
    QueueAbandoned,
    QueueJoined,
)
from crm.accounts.services import Staff
from crm.calls.services import call_of
from crm.domain.access import Role
from crm.domain.call_outcomes import DIAL_STATUS_LABELS
from crm.domain.redaction import redact
from crm.emergency.services import plan_alerts_of
from crm.models import TicketDetail
from crm.notifications import (
    AgentStateChanged,
    CallApplied,
    CallbackRecorded,
    CallObserved,
    OrderChanged,
    PlanAlerted,
    ScheduleChanged,
)
from crm.orders.overdue import OverdueEvent
from crm.reports.wallboard import wallboard
from crm.web.pop import (
    ENDED,
    MISSED,
    RINGING,
    TALKING,
    age_seconds,
    build_pop,
    call_state,
    desk_of,
    latest_answered_call,
)

log = logging.getLogger(__name__)

WALLBOARD_ROLES = (Role.SUPERVISOR, Role.SHIFT_LEADER, Role.HOTLINE_LEADER)
ORDER_ROLES = (Role.SHIFT_LEADER, Role.REVIEWER, Role.HOTLINE_LEADER)
# The applied call events that change the wallboard's figures.
WALLBOARD_KINDS = {
    "call_started", "call_routed", "queue_joined", "agent_ringing", "agent_answered",
    "agent_completed", "queue_abandoned", "call_ended",
}  # fmt: skip
# The applied call events that move a popped call along on the agents' consoles.
CALL_STATE_EVENTS = (AgentAnswered, AgentCompleted, CallEnded, QueueAbandoned)
# How long after hang-up a call not yet registered is still the agent's current call (话后整理):
# a console reloaded or opened in a new tab finds it again to register it.
WRAP_UP_SECONDS = 30 * 60
# A phone rings for one agent for the queue's ring timeout at most (then the queue tries another
# desk): a ring older than this is no longer this desk's call, whatever came of it.
RING_SECONDS = 120


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
        # From the bridge's observed events, by caller Uniqueid: when AgentCalled came (pop
        # latency) and which phones ring. The applied agent_ringing event does not record the
        # interface (a ring-all queue rings several); each AgentRinging names one.
        self.agent_called: dict[str, float] = {}
        self.ringing: dict[str, list[str]] = {}
        self.popped: dict[str, set[str]] = {}
        # Pops built ahead of the ring (when the caller joins a queue), so the ring itself only
        # has to send: the ring's own database write is not on the pop's path.
        self.prepared: dict[str, dict[str, Any]] = {}
        self.received: dict[str, float] = {}  # when the AgentCalled reached us (benchmark)
        # The call each desk was last popped or answered, by extension: "my current call".
        self.current: dict[str, str] = {}
        self._wallboard_pending = False
        state.notifier.listen(CallObserved, self.observed)

    def observed(self, note: CallObserved) -> None:
        """Notifier listener, called inline as the bridge reads each AMI event (before it is
        applied): on AgentRinging the pop is sent at once if it was prepared, else when the
        event is applied."""
        event = note.event
        if not isinstance(event, AgentRinging):
            return
        uniqueid = event.uniqueid
        self.agent_called.setdefault(uniqueid, event.occurred_at.timestamp())
        self.received.setdefault(uniqueid, note.received_at)
        self.ringing.setdefault(uniqueid, []).append(event.agent_interface)
        for table in (self.agent_called, self.received, self.ringing, self.popped, self.prepared):
            if len(table) > 1000:
                table.pop(next(iter(table)))  # type: ignore[attr-defined]
        if uniqueid in self.prepared:
            self._send_pop(uniqueid, self.prepared[uniqueid], [event.agent_interface])

    def ensure_started(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name="web-hub")

    async def _run(self) -> None:
        kinds = (
            CallApplied,
            CallbackRecorded,
            AgentStateChanged,
            OverdueEvent,
            ScheduleChanged,
            PlanAlerted,
            OrderChanged,
        )
        async with self.state.notifier.subscribe(*kinds) as queue:
            while True:
                message = await queue.get()
                try:
                    await self.handle(message)
                except Exception:
                    log.exception("web hub: could not handle %r", message)

    async def handle(self, message: object) -> None:
        """What a console sees of one notification: a pop, an emergency banner, a redrawn
        call-back list, and (coalesced) the wallboard."""
        if isinstance(message, CallbackRecorded):
            self.broadcast({"type": "callbacks"}, Role.AGENT, Role.SHIFT_LEADER)
            return
        if isinstance(message, PlanAlerted):
            await self._plan_alerts(message.ticket_id)
            return
        if isinstance(message, OrderChanged | OverdueEvent):
            # The leaders' queues reload themselves (the frame names no content: a report's
            # number and text stay with who may read them, and the list answers per viewer).
            self.broadcast({"type": "orders"}, *ORDER_ROLES)
        if isinstance(message, CallApplied):
            event = message.event
            if isinstance(event, AgentRinging):
                await self._pop(event.uniqueid, rung=event.agent_interface)
            elif isinstance(event, CALL_STATE_EVENTS):
                await self._call_moved(event)
            elif isinstance(event, CallStarted | QueueJoined) and self.consoles:
                await self._prepare(event.uniqueid)
            elif isinstance(event, EmergencyDialStarted):
                await self._maybe_emergency(event.uniqueid, unless_routed=True)
            elif isinstance(event, EmergencyDialEnded) and event.dial_status != "ANSWER":
                await self._maybe_emergency(event.uniqueid, failed=event.dial_status)
            elif isinstance(event, CallRouted):
                await self._maybe_emergency(event.uniqueid)
                if event.uniqueid in self.popped or event.uniqueid in self.prepared:
                    # the IVR choice arrived after the ring
                    await self._pop(event.uniqueid, update=True)
            if event.kind not in WALLBOARD_KINDS:
                return
        self.wallboard_soon()

    async def _pop(self, uniqueid: str, update: bool = False, rung: str | None = None) -> None:
        """Send (or update) the pop to the phones that ring: those the bridge saw ring, the one
        the applied event names (an event posted by the FastAGI server, not seen by the bridge,
        names its phone too) and the one that answered."""

        def load() -> tuple[list[str], dict[str, Any] | None]:
            with self.state.sessions() as session:
                call = call_of(session, uniqueid)
                if call is None or call.ticket is None:
                    return [], None
                interfaces = list(self.ringing.get(uniqueid, []))
                if rung:
                    interfaces.append(rung)
                if call.agent_interface:
                    interfaces.append(call.agent_interface)
                return interfaces, build_pop(session, call, self.state.agents.menu)

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
        if not update:
            for extension in targets:
                self.current[extension] = uniqueid
        for console in list(self.consoles):
            if console.staff.extension in targets:
                console.push({"type": "pop", "pop": pop})

    async def _call_moved(
        self, event: AgentAnswered | AgentCompleted | CallEnded | QueueAbandoned
    ) -> None:
        """Tell each desk the call was popped on where it stands now: 通话中 on the desk that
        answered, taken on the others a ring-all queue rang, over (已挂机) or missed when it
        ended. The frames carry no number or content: nothing to redact, nothing to seal."""
        uniqueid = event.uniqueid
        desks = set(self.popped.get(uniqueid, set()))
        answering = desk_of(getattr(event, "agent_interface", None))
        if answering:
            desks.add(answering)
            if isinstance(event, AgentAnswered):
                self.current[answering] = uniqueid
        if not desks:
            return

        def load() -> dict[str, dict[str, Any]]:
            with self.state.sessions() as session:
                call = call_of(session, uniqueid)
                if call is None:
                    return {}
                return {desk: call_state(call, desk) for desk in desks}

        states = await asyncio.to_thread(load)
        for console in list(self.consoles):
            if console.staff.extension in states:
                console.push({"type": "call", "call": states[console.staff.extension]})

    def current_call(self, staff: Staff) -> dict[str, Any]:
        """The signed-in agent's current call, as a console opened now must show it: the pop
        (redacted for this person) and where the call stands. A call ringing or in talk, or one
        that ended within the wrap-up time and is not yet registered has its pop; the desk's
        last call otherwise comes without one, its state only, so a console that lost frames
        while its WebSocket was down stops showing a call that is over. Read from the database,
        so a reload, a second tab or a restarted CRM (the desk's latest answered call) all find
        it."""
        none: dict[str, Any] = {"pop": None, "call": None}
        extension = staff.extension
        if not extension:
            return none
        with self.state.sessions() as session:
            call = None
            if extension in self.current:
                call = call_of(session, self.current[extension])
            if call is None:
                call = latest_answered_call(session, extension)
            if call is None or call.ticket is None:
                return none
            state = call_state(call, extension)
            if state["state"] == ENDED:
                registered = session.get(TicketDetail, call.ticket.id) is not None
                ended = call.ended_at or call.answered_at
                if registered or ended is None or age_seconds(ended) > WRAP_UP_SECONDS:
                    return {"pop": None, "call": state}
            elif state["state"] == RINGING:
                rang = call.agent_called_at or call.started_at
                if age_seconds(rang) > RING_SECONDS:
                    return {"pop": None, "call": {**state, "state": MISSED}}
            elif state["state"] != TALKING:
                return {"pop": None, "call": state}
            pop = build_pop(session, call, self.state.agents.menu)
        return {"pop": redact(staff.viewer, pop), "call": state}

    async def _maybe_emergency(
        self, uniqueid: str, *, unless_routed: bool = False, failed: str | None = None
    ) -> None:
        """The emergency banner on every console: when the IVR routes the call to 110, when
        110 is rung without the IVR (its server down: ``unless_routed``), and again when a
        110 dial fails (``failed``, Asterisk's DIALSTATUS, which the banner names)."""

        def load() -> dict[str, Any] | None:
            with self.state.sessions() as session:
                call = call_of(session, uniqueid)
                if call is None or call.route != "emergency":
                    return None
                if unless_routed and call.route_reason is not None:
                    return None  # the IVR's CallRouted has shown it already
                return {
                    "failed": DIAL_STATUS_LABELS.get(failed, failed) if failed else None,
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

    async def _plan_alerts(self, ticket_id: int) -> None:
        """The call-emergency plan's alerts of one ticket, each to the consoles of its
        audience (the handling group, leadership): docs/hotline-rules.md."""

        def load() -> list[dict[str, Any]]:
            with self.state.sessions() as session:
                return plan_alerts_of(session, ticket_id)

        for alert in await asyncio.to_thread(load):
            self.broadcast({"type": "plan_alert", "alert": alert}, Role(alert["audience"]))

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
