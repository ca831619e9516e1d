"""What every handler needs besides its channel: the menu, the outbox, the clock."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from agi.channel import Channel
from agi.outbox import Outbox
from ivr.menu import Menu


@dataclass
class HandlerContext:
    menu: Menu
    outbox: Outbox
    prompts_dir: str
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def prompt(self, name: str) -> str:
        """A prompt's path as Asterisk plays it (no extension: Asterisk picks the format)."""
        return f"{self.prompts_dir}/{name}"

    @staticmethod
    def event_id(kind: str, uniqueid: str) -> str:
        """Stable per call and kind: a handler run twice for one call sends one event."""
        return f"agi-{kind}-{uniqueid}"

    @staticmethod
    def random_id(kind: str) -> str:
        return f"agi-{kind}-{uuid.uuid4().hex}"


Handler = Callable[[Channel, HandlerContext], Awaitable[None]]
