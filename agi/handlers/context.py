"""What every handler needs besides its channel: the menu, the outbox, the clock."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from agi.channel import Channel
from agi.outbox import Outbox
from ivr.menu import Menu

UrgentWords = Callable[[str], Awaitable[tuple[str, ...]]]


@dataclass
class HandlerContext:
    menu: Menu
    outbox: Outbox
    prompts_dir: str
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # With speech: where utterances are recorded (as Asterisk sees it), the (max, silence)
    # seconds of one utterance, and what decodes one into its urgent words.
    utterances_dir: str | None = None
    utterance_limits: tuple[float, float] = (5.0, 1.5)
    urgent_words: UrgentWords | None = None

    @property
    def listens(self) -> bool:
        return self.urgent_words is not None and self.utterances_dir is not None

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
