"""What the retention purge may delete: the PIPL periods against the hotline's own duties.

Personal information is kept no longer than its purpose needs (PIPL art. 19), but a period
never outruns a duty still owed to the citizen: the recording, transcript, call record and
number of an open order, of a 举报 (report) whose review is not finished, or of a caller still
owed a call-back are kept whatever their age. This module only judges; ``crm/retention.py``
finds the candidates and deletes. It never touches the database, a file or the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from callmodel.calltypes import CallType, TicketStatus
from crm.domain.lifecycle import OPEN_STATUSES


@dataclass(frozen=True)
class TicketFacts:
    """What the rule needs to know about the ticket a piece of data belongs to."""

    status: TicketStatus
    # The type the agent registered (None: a call nobody registered, e.g. abandoned in the IVR).
    call_type: CallType | None
    confidential: bool = False
    callback_owed: bool = False


def held(ticket: TicketFacts | None) -> str | None:
    """Why the data of this ticket must be kept now (a reason for the audit), or None."""
    if ticket is None:
        return None
    under_review = ticket.call_type is CallType.REPORT or ticket.confidential
    if under_review and ticket.status is not TicketStatus.ARCHIVED:
        return "report_under_review"
    if ticket.call_type is not None and ticket.status in OPEN_STATUSES:
        return "open_order"
    if ticket.callback_owed:
        return "callback_owed"
    return None


def cutoff(now: datetime, days: int) -> datetime:
    """Data from before this moment is past a period of ``days``."""
    return now - timedelta(days=days)
