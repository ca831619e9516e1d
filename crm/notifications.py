"""The typed notifications the CRM publishes on its ``Notifier`` (crm/notifier.py).

Each says what changed, so a subscriber (the WebSocket hub) chooses by type and reads fields,
never a dict's keys. Overdue orders are ``crm.orders.overdue.OverdueEvent``.
"""

from __future__ import annotations

from dataclasses import dataclass

from callmodel.events import CallEvent
from crm.bridge.translate import AmiEvent


@dataclass(frozen=True)
class CallObserved:
    """An AMI event as the bridge read it, before it is applied: the screen pop is sent from
    this (AgentCalled) without waiting for the database. ``received_at`` is epoch seconds."""

    event: AmiEvent
    received_at: float


@dataclass(frozen=True)
class CallApplied:
    """A call event stored on its ticket (from the FastAGI server or the AMI bridge)."""

    event: CallEvent
    ticket: str


@dataclass(frozen=True)
class AgentStateChanged:
    """An agent signed in or out of queues, paused or became ready."""

    extension: str


@dataclass(frozen=True)
class OrderChanged:
    """A work order was registered, dispatched or replied to from a console."""

    ticket_id: int


@dataclass(frozen=True)
class CallbackRecorded:
    """A call-back attempt got its result (the agents' call-back lists redraw)."""

    attempt: int


@dataclass(frozen=True)
class ScheduleChanged:
    """The site's holiday schedule was saved: ``recounted`` open orders got new deadlines, and
    the wallboard's warning about next year's schedule may have gone (or come back)."""

    recounted: int


@dataclass(frozen=True)
class PlanAlerted:
    """A ticket was judged by the call-emergency plan: its audiences' consoles show the alert."""

    ticket_id: int
