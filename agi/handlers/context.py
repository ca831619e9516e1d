"""What every handler needs besides its channel: the menu, the outbox, the clock."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from agi.channel import Channel
from agi.outbox import Outbox
from callmodel.callback_numbers import CallbackPolicy
from ivr.menu import Menu, load_menu

UrgentWords = Callable[[str], Awaitable[tuple[str, ...]]]
# Whether a caller's number is on the harassment blocklist; raises when it cannot say.
BlocklistLookup = Callable[[str], Awaitable[bool]]


@dataclass
class HandlerContext:
    menu: Menu
    outbox: Outbox
    prompts_dir: str
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # When set, ``menu`` is read again whenever this file changes (the admin console edits it).
    menu_file: Path | None = None
    # With speech: where utterances are recorded (as Asterisk sees it), the (max, silence)
    # seconds of one utterance, and what decodes one into its urgent words.
    utterances_dir: str | None = None
    utterance_limits: tuple[float, float] = (5.0, 1.5)
    urgent_words: UrgentWords | None = None
    # The harassment blocklist (agi/blocklist.py), and how long a non-urgent call may wait for
    # its answer once routed; without one, or past the wait, the call goes on (fail open).
    blocklist: BlocklistLookup | None = None
    blocklist_wait_seconds: float = 1.0
    # Which numbers the hotline may dial back (虚拟排队); without one, none.
    callback_policy: CallbackPolicy = field(default_factory=lambda: CallbackPolicy(()))

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


def _menu(self: HandlerContext) -> Menu:
    path = self.__dict__.get("menu_file")
    if path is not None:
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            stamp = None  # keep serving the menu we have: never fail a caller on a lookup
        if stamp is not None and stamp != self.__dict__.get("_menu_stamp"):
            # A file mid-write or broken: the last good menu stays.
            with contextlib.suppress(OSError, ValueError):
                self.__dict__["_menu"] = load_menu(path)
            self.__dict__["_menu_stamp"] = stamp
    menu: Menu = self.__dict__["_menu"]
    return menu


def _set_menu(self: HandlerContext, menu: Menu) -> None:
    self.__dict__["_menu"] = menu


HandlerContext.menu = property(_menu, _set_menu)  # type: ignore[assignment,method-assign]

Handler = Callable[[Channel, HandlerContext], Awaitable[None]]
