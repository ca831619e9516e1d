"""In-process fan-out of typed notifications to live subscribers (screen pops, wallboards).

Publishers hand over typed objects (``crm.notifications``, ``crm.orders.overdue.OverdueEvent``);
subscribers choose the types they want. A queue subscriber gets a bounded queue; a slow browser
loses its oldest updates rather than slowing the call path. A listener is called inline, in
``publish``, for what must not wait for a task switch (the screen pop on AgentCalled). Durable
state is always in the database; this only says "look now".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

log = logging.getLogger(__name__)

M = TypeVar("M")


class Notifier:
    def __init__(self, backlog: int = 256) -> None:
        self.backlog = backlog
        self.subscribers: dict[asyncio.Queue[Any], tuple[type, ...]] = {}
        self.listeners: list[tuple[type, Callable[[Any], None]]] = []

    def publish(self, message: object) -> None:
        """Hand ``message`` to every listener and subscriber of its type."""
        for kind, listener in list(self.listeners):
            if isinstance(message, kind):
                try:
                    listener(message)
                except Exception:  # one listener's failure must not cost the others
                    log.exception("notifier: listener failed on %r", message)
        for queue, kinds in list(self.subscribers.items()):
            if isinstance(message, kinds):
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(message)

    def listen(self, kind: type[M], listener: Callable[[M], None]) -> None:
        """Call ``listener`` inline for every message of this type (it must be quick)."""
        self.listeners.append((kind, listener))

    @asynccontextmanager
    async def subscribe(self, *kinds: type) -> AsyncIterator[asyncio.Queue[Any]]:
        """A bounded queue of the messages of these types, for as long as the block runs."""
        queue: asyncio.Queue[Any] = asyncio.Queue(self.backlog)
        self.subscribers[queue] = kinds
        try:
            yield queue
        finally:
            self.subscribers.pop(queue, None)
