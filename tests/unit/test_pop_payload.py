"""The screen pop carries the caller's home area (归属地) and line type beside the number, and
keeps them from a role that may not see the number."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callmodel.calltypes import TicketStatus
from crm.domain.access import Role, Viewer
from crm.domain.call_outcomes import normalise_number
from crm.domain.redaction import redact
from crm.models import Call, Ticket
from crm.web.pop import build_pop

AGENT = Viewer("agent1", frozenset({Role.AGENT}))
SUPERVISOR = Viewer("qc1", frozenset({Role.SUPERVISOR}))


@pytest.mark.parametrize(
    ("presented", "number", "area", "line", "display"),
    [
        ("+864716250000", "04716250000", "内蒙古呼和浩特市", "fixed", "0471 625 0000"),
        ("8613812345678", "13812345678", "江苏省连云港市", "mobile", "138 1234 5678"),
        ("6250000", "6250000", "", "fixed", "6250000"),  # local, no area code
        ("12345", "12345", "", None, "12345"),
        ("anonymous", "anonymous", "", None, "anonymous"),
    ],
)
def test_the_pop_tells_where_the_number_is_from(
    sessions: sessionmaker[Session],
    presented: str,
    number: str,
    area: str,
    line: str | None,
    display: str,
) -> None:
    stored = normalise_number(presented)
    with sessions() as session:
        call = Call(uniqueid="1.1", caller_number=stored, started_at=datetime.now(UTC))
        session.add(call)
        session.flush()
        session.add(
            Ticket(
                number="20261128-0001",
                call_id=call.id,
                caller_number=stored,
                status=TicketStatus.REGISTERED,
            )
        )
        session.flush()
        session.refresh(call)
        pop = build_pop(session, call)
    assert pop["caller_number"] == number
    assert (pop["caller_area"], pop["caller_line"], pop["caller_display"]) == (area, line, display)
    assert redact(AGENT, pop)["caller_area"] == area
    masked = redact(SUPERVISOR, pop)
    assert masked["caller_area"] == "" and number not in str(masked)
