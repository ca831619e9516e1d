"""The 台账 export (CSV, XLSX) and the supervisor's figures."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmodel.calltypes import CallType, TicketStatus
from crm.models.calls import Call
from crm.models.workorders import AuditEntry
from crm.orders import services as orders
from crm.orders.services import RegistrationForm
from crm.reports.ledger import (
    LEDGER_HEADERS,
    WITHHELD,
    as_text,
    figures,
    ledger_csv,
    ledger_rows,
    ledger_xlsx,
)
from tests.helpers import AGENT, HOTLINE_LEADER, LEADER, cn, new_ticket, seed, unit

S = TicketStatus


@pytest.fixture
def db(session: Session) -> Session:
    seed(session)
    water = unit(session, "city-water").id
    # Sep 30: a help request handled end to end, replied on time, caller satisfied.
    a = new_ticket(session, "13800000030", cn(9, 30, 10))
    form = RegistrationForm(
        CallType.HELP, "水管爆裂", contact_number="13800000030", caller_name="张女士"
    )
    orders.register_ticket(session, a.id, form, AGENT)
    orders.dispatch(session, a.id, water, LEADER, now=cn(9, 30, 11))
    orders.record_unit_reply(session, a.id, "已抢修", LEADER, now=cn(9, 30, 15))
    orders.answer_caller(session, a.id, "已抢修", LEADER)
    orders.return_visit(session, a.id, 5, True, AGENT)
    assert a.call is not None
    a.call.talk_seconds = 150  # 2.5 min: within the help request's 3 min
    # Sep 30: a report (confidential).
    b = new_ticket(session, "13800000031", cn(9, 30, 16))
    form = RegistrationForm(
        CallType.REPORT, "某所长违规吃喝", contact_number="13800000031", target="某所长"
    )
    orders.register_ticket(session, b.id, form, AGENT)
    assert b.call is not None
    b.call.talk_seconds = 200  # 3 min 20 s: over the report's 3 min target
    # Oct 8: a help request the unit never answered; the caller rings again after the limit.
    c = new_ticket(session, "13800000032", cn(10, 8, 9))
    form = RegistrationForm(CallType.HELP, "停水", contact_number="13800000032")
    orders.register_ticket(session, c.id, form, AGENT)
    orders.dispatch(session, c.id, water, LEADER, now=cn(10, 8, 10))
    d = new_ticket(session, "13800000032", cn(10, 9, 12))
    orders.handle_repeat_call(session, d.id, LEADER)
    # Oct 1: an emergency the call path sent to 110 and archived; no agent registered it.
    e = new_ticket(session, "13800000033", cn(10, 1, 3))
    e.status, e.call_type, e.handling_note = S.ARCHIVED, CallType.EMERGENCY, "已转110"
    assert e.call is not None
    e.call.outcome = "transferred_110"
    # Oct 9: one call abandoned in the queue (offered, not answered) and one answered.
    session.add(
        Call(uniqueid="x-1", caller_number="1", started_at=cn(10, 9, 8), queue="hotline-general")
    )
    session.add(
        Call(
            uniqueid="x-2",
            caller_number="2",
            started_at=cn(10, 9, 8),
            queue="hotline-general",
            answered_at=cn(10, 9, 8, 1),
        )
    )
    session.commit()
    return session


def test_ledger_rows_by_date_range_with_report_withheld(db: Session) -> None:
    rows = ledger_rows(db, date(2026, 9, 30), date(2026, 9, 30), LEADER)
    assert [r.call_type for r in rows] == ["求助", "举报"]
    help_row, report_row = rows
    assert help_row.called_at == "2026-09-30 10:00:00"
    assert help_row.caller_number == "138****0030"
    assert "张女士" in help_row.caller
    assert "下派工单至市自来水公司" in help_row.process and "已抢修" in help_row.process
    assert help_row.agent == "agent1"
    assert report_row.question == WITHHELD
    leader_rows = ledger_rows(db, date(2026, 9, 30), date(2026, 9, 30), HOTLINE_LEADER)
    assert leader_rows[1].question == "某所长违规吃喝"
    reads = db.scalars(
        select(AuditEntry.actor).where(AuditEntry.action == "read_confidential")
    ).all()
    assert reads == ["boss"]  # the hotline leader's ledger read is audited; the withheld one is not
    october = ledger_rows(db, date(2026, 10, 1), date(2026, 10, 31), LEADER)
    assert [r.call_type for r in october] == ["紧急求助", "求助", "求助"]
    assert october[0].process == "已转110；已转110" and october[0].result == "已归档"


def test_ledger_csv_and_xlsx(db: Session) -> None:
    rows = ledger_rows(db, date(2026, 9, 1), date(2026, 10, 31), LEADER)
    data = ledger_csv(rows)
    assert data.startswith("\ufeff".encode())
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(parsed[0]) == LEDGER_HEADERS
    assert len(parsed) == 1 + len(rows) == 6
    book = load_workbook(io.BytesIO(ledger_xlsx(rows)))
    sheet = book.active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == LEDGER_HEADERS and values[1][6] == "水管爆裂"


def test_figures_per_type_day_and_unit(db: Session) -> None:
    now = cn(10, 20)
    by_type = {f["key"]: f for f in figures(db, date(2026, 9, 1), date(2026, 10, 31), "type", now)}
    assert by_type["help"]["tickets"] == 3
    assert by_type["help"]["satisfaction"] == 1.0
    assert by_type["help"]["resolution_rate"] == 1.0
    # Three help work orders are past their limit on Oct 20; only the first was replied in time.
    assert by_type["help"]["on_time_reply_rate"] == round(1 / 3, 4)
    assert by_type["help"]["repeat_repair_rate"] == round(1 / 3, 4)
    assert by_type["help"]["talk_within_target_rate"] == 1.0
    assert by_type["help"]["talk_target_share"] == 0.80
    assert by_type["report"]["talk_within_target_rate"] == 0.0
    by_day = {f["key"]: f for f in figures(db, date(2026, 10, 9), date(2026, 10, 9), "day", now)}
    assert by_day["2026-10-09"]["answer_rate"] == 0.5
    by_unit = figures(db, date(2026, 9, 1), date(2026, 10, 31), "unit", now)
    assert [f["label"] for f in by_unit] == ["市自来水公司"]
    with pytest.raises(ValueError):
        figures(db, date(2026, 9, 1), date(2026, 9, 2), "agent", now)


FORMULA = '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize(
    "text", [FORMULA, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "普通文字", "1-2"]
)
def test_a_text_a_spreadsheet_would_run_is_kept_as_text(text: str) -> None:
    escaped = as_text(text)
    assert escaped == ("'" + text if text[0] in "=+-@\t\r" else text)
    assert as_text(5) == 5 and as_text(None) is None


def test_a_formula_typed_as_a_callers_name_or_question_stays_text(session: Session) -> None:
    """The caller's display name (an unregistered call) and a registered caller's name and
    question: never a live formula in the XLSX, a leading ' in the CSV."""
    seed(session)
    registered = new_ticket(session, "13800000040", cn(11, 2, 9))
    form = RegistrationForm(CallType.CONSULTATION, FORMULA, caller_name=FORMULA)
    orders.register_ticket(session, registered.id, form, AGENT)
    unregistered = new_ticket(session, "13800000041", cn(11, 2, 10))
    assert unregistered.call is not None
    unregistered.call.caller_name = FORMULA
    session.flush()
    rows = ledger_rows(session, date(2026, 11, 2), date(2026, 11, 2), LEADER)
    assert [(r.caller, r.question) for r in rows][0] == (FORMULA, FORMULA)
    assert rows[1].caller == FORMULA

    sheet = load_workbook(io.BytesIO(ledger_xlsx(rows))).active
    assert sheet is not None
    cells = [cell for line in sheet.iter_rows(min_row=2) for cell in line]
    assert cells and all(cell.data_type != "f" for cell in cells)
    assert [sheet.cell(row=r, column=5).value for r in (2, 3)] == ["'" + FORMULA] * 2
    assert sheet.cell(row=2, column=7).value == "'" + FORMULA

    parsed = list(csv.reader(io.StringIO(ledger_csv(rows).decode("utf-8-sig"))))[1:]
    assert [line[4] for line in parsed] == ["'" + FORMULA] * 2
    assert parsed[0][6] == "'" + FORMULA
