"""The CRM's AMI connection: panoramisk's Manager, wrapped where it is weak.

panoramisk reconnects by itself and resends waiting actions, but it has no back-pressure on
event callbacks and some action futures never complete. Here every event goes through one
bounded queue consumed by one task (events are applied in order, a slow database never blocks
the socket reader), and every action has a timeout. Each AMI event is translated once, as it
arrives (``crm.bridge.translate``): observers see the typed event at once (the screen pop is
sent on AgentCalled), the sink applies it afterwards.

``AmiBridge.action`` is the one door every action the CRM sends goes through. AMI is a text
protocol of ``Name: value`` lines: a CR or LF inside a value (a pause reason, a number) would end
the header and start a second action of the sender's choice, so such an action is refused whole,
never cleaned up and sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from panoramisk import Manager

from crm.bridge.translate import AmiEvent, translate
from crm.domain.errors import Unavailable
from hotline.settings import Settings

log = logging.getLogger(__name__)

EventSink = Callable[[AmiEvent], Awaitable[object]]
ConnectHook = Callable[[], Awaitable[None]]
# Told of each translated event as it arrives, before it is applied, with the time it arrived.
Observer = Callable[[AmiEvent, float], None]

BACKLOG = 10_000


class AmiError(Unavailable):
    """Asterisk refused an action, or did not answer in time."""


class AmiHeaderRefused(AmiError):
    """An action header name or value holds a line break (or another control character
    that ends an AMI line); nothing was sent. The sender's error, so a 400 on every route."""

    status = 400


def check_action(action: Mapping[str, Any]) -> None:
    """Refuse an action whose header names or values could break out of their AMI line.

    Stripping the characters would send something other than what the caller asked for (and
    hide an attack), so the whole action is refused with an error that says which header."""
    if not str(action.get("Action", "")).strip():
        raise AmiHeaderRefused("AMI 动作缺少 Action")
    for name, value in action.items():
        values = value if isinstance(value, list | tuple) else [value]
        for text in (str(name), *(str(v) for v in values)):
            if any(ch in text for ch in "\r\n\x00"):
                raise AmiHeaderRefused(
                    f"拒绝发送 AMI 动作 {action.get('Action')}：{name} 含有换行或控制字符"
                )


class AmiBridge:
    def __init__(self, settings: Settings, sink: EventSink) -> None:
        self.settings = settings
        self.sink = sink
        self.on_connect: list[ConnectHook] = []
        self.observers: list[Observer] = []
        # Logins so far: every one after the first is a reconnect (crm/metrics.py).
        self.logins = 0
        self.events: asyncio.Queue[AmiEvent] = asyncio.Queue(BACKLOG)
        self.connected = asyncio.Event()
        self.manager: Manager | None = None
        self._consumer: asyncio.Task[None] | None = None
        self.dropped = 0

    async def start(self) -> None:
        """Connect in the background; the CRM serves HTTP whether or not Asterisk is up."""
        loop = asyncio.get_running_loop()
        self.manager = Manager(
            loop=loop,
            host=self.settings.bind_address,
            port=self.settings.ami_port,
            username=self.settings.ami_user,
            secret=self.settings.ami_secret,
            ping_delay=5,
            ping_interval=5,
            reconnect_timeout=1,
            on_login=self._logged_in,
            on_disconnect=self._disconnected,
        )
        self.manager.register_event("*", self._received)
        self._consumer = asyncio.create_task(self._consume(), name="ami-events")
        self.manager.connect()

    async def stop(self) -> None:
        if self.manager is not None:
            self.manager.close()
        if self._consumer is not None:
            self._consumer.cancel()

    def _logged_in(self, manager: Manager) -> None:
        log.info("AMI: logged in to %s:%s", self.settings.bind_address, self.settings.ami_port)
        self.logins += 1
        self.connected.set()
        for hook in self.on_connect:
            asyncio.ensure_future(self._run_hook(hook))

    async def _run_hook(self, hook: ConnectHook) -> None:
        try:
            await hook()
        except Exception:
            log.exception("AMI: connect hook %s failed", hook)

    def _disconnected(self, manager: Manager, exc: Exception | None) -> None:
        log.warning("AMI: connection lost (%s); reconnecting", exc)
        self.connected.clear()

    def _received(self, manager: Manager, message: Mapping[str, str]) -> None:
        """Translate once, tell the observers at once (the screen pop), queue for applying."""
        received_at = time.time()
        try:
            event = translate(dict(message))
        except Exception:  # translate is total; a bug there must not stop the reader
            log.exception("AMI: could not translate %r", message.get("Event"))
            return
        if event is None:
            return
        for observer in self.observers:
            try:
                observer(event, received_at)
            except Exception:  # one observer's failure must not cost the others the event
                log.exception("AMI: observer failed on %r", event)
        try:
            self.events.put_nowait(event)
        except asyncio.QueueFull:
            # Never block the AMI reader: the FastAGI outbox still records every call.
            self.dropped += 1
            log.error("AMI: event backlog full, dropped %r", event)

    async def _consume(self) -> None:
        while True:
            event = await self.events.get()
            try:
                await self.sink(event)
            except Exception:
                log.exception("AMI: could not apply %r", event)

    async def action(
        self, action: dict[str, Any], *, as_list: bool = False, timeout: float = 5.0
    ) -> list[Mapping[str, str]]:
        """Send an action and wait for its answer (all messages of a list action).

        ``as_list`` is always explicit: panoramisk guesses from the reply text otherwise, and
        guesses wrong for QueueAdd ("Added interface to queue"), whose future then never ends.
        Raises ``AmiHeaderRefused`` (before anything is sent) for a value holding CR or LF.
        """
        check_action(action)
        if self.manager is None or not self.connected.is_set():
            raise AmiError("未连接到 Asterisk 管理接口 (AMI)")
        try:
            pending = self.manager.send_action(action, as_list=as_list)
            result = await asyncio.wait_for(pending, timeout)
        except TimeoutError as exc:
            raise AmiError(f"Asterisk 未在 {timeout:.0f} 秒内回应 {action['Action']}") from exc
        messages = result if isinstance(result, list) else [result]
        first = messages[0] if messages else {}
        if first.get("Response") == "Error":
            raise AmiError(first.get("Message", "error"))
        return messages

    async def command(self, text: str, timeout: float = 10.0) -> list[str]:
        """The output lines of one Asterisk CLI command (AMI ``Command``)."""
        reply = (await self.action({"Action": "Command", "Command": text}, timeout=timeout))[0]
        output: str | list[str] = reply.get("Output", [])
        return [output] if isinstance(output, str) else list(output)
