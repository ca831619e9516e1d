"""The call ledger (台账) and the supervisor's figures, by China-local date range.

Ledger fields follow the registration rules: serial number, call time, caller number, caller name
and situation, question, handling process, result, agent. Whistle-blowing reports appear with
their content withheld unless the viewer may read them (保密); the caller's number is masked in
the export for everyone, since a ledger file travels further than the screen. A cell of the CSV
or XLSX file never holds a live formula, whatever a caller or an agent typed (``as_text``).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from openpyxl import Workbook
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from callmodel.calltypes import CallType, TicketStatus
from callmodel.phones import mask_phone
from crm import audit
from crm.domain.access import OrderVisibility, Viewer, can_read, read_must_be_audited
from crm.domain.call_outcomes import CallOutcome
from crm.domain.deadlines import rule_for
from crm.domain.workcalendar import CHINA_TZ, to_china
from crm.models.calls import Call, Ticket
from crm.models.workorders import Caller, ReturnVisit, TicketDetail, Unit, UnitReply, WorkOrder

LEDGER_HEADERS = (
    "序号",
    "定单号",
    "来电时间",
    "来电号码",
    "来电人姓名及相关情况",
    "来电类型",
    "咨询或反映的问题",
    "办理过程",
    "办理结果",
    "接听人",
)
WITHHELD = "（举报件，内容保密）"
# What makes a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UNREGISTERED = "unregistered"


@dataclass(frozen=True)
class LedgerRow:
    serial: int
    number: str
    called_at: str
    caller_number: str
    caller: str
    call_type: str
    question: str
    process: str
    result: str
    agent: str

    def values(self) -> tuple[object, ...]:
        return (
            self.serial,
            self.number,
            self.called_at,
            self.caller_number,
            self.caller,
            self.call_type,
            self.question,
            self.process,
            self.result,
            self.agent,
        )


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Inclusive China-local dates as an instant range [start 00:00, end+1 00:00)."""
    lo = datetime.combine(start, time(0), tzinfo=CHINA_TZ)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=CHINA_TZ)
    return lo, hi


def _tickets_in(
    session: Session, start: date, end: date
) -> list[tuple[Ticket, TicketDetail | None]]:
    """Every ticket of the range, registered by an agent or not (principle 3: every call).

    A registered ticket is dated by its call (``TicketDetail.called_at``); one nobody registered
    (abandoned, sent to 110, still in the IVR) by its creation, which the call path sets to the
    call's first event.
    """
    lo, hi = _bounds(start, end)
    rows = session.execute(
        select(Ticket, TicketDetail)
        .outerjoin(TicketDetail, TicketDetail.ticket_id == Ticket.id)
        .where(
            or_(
                and_(
                    TicketDetail.ticket_id.is_not(None),
                    TicketDetail.called_at >= lo,
                    TicketDetail.called_at < hi,
                ),
                and_(
                    TicketDetail.ticket_id.is_(None),
                    Ticket.created_at >= lo,
                    Ticket.created_at < hi,
                ),
            )
        )
    ).all()
    result: list[tuple[Ticket, TicketDetail | None]] = [(t, d) for t, d in rows]
    result.sort(key=lambda r: (_called_at(*r), r[0].id))
    return result


def _called_at(ticket: Ticket, detail: TicketDetail | None) -> datetime:
    if detail is not None:
        return to_china(detail.called_at)
    if ticket.call is not None:
        return to_china(ticket.call.started_at)
    return to_china(ticket.created_at)


def _type_key(ticket: Ticket, detail: TicketDetail | None) -> str:
    if detail is not None:
        return detail.call_type
    return ticket.call_type.value if ticket.call_type else UNREGISTERED


def _type_label(key: str) -> str:
    return CallType(key).label if key in CallType.__members__.values() else "未登记"


def _process(session: Session, ticket: Ticket, detail: TicketDetail) -> str:
    steps = list(detail.notes)
    orders = session.scalars(select(WorkOrder).where(WorkOrder.ticket_id == ticket.id))
    for order in orders:
        unit = session.get(Unit, order.unit_id)
        kind = "简易工单" if order.kind == "simple" else "工单"
        steps.append(
            f"{to_china(order.dispatched_at):%m-%d %H:%M} 下派{kind}至{unit.name if unit else ''}"
        )
        for reply in session.scalars(select(UnitReply).where(UnitReply.work_order_id == order.id)):
            who = f"（{reply.answered_by}）" if reply.answered_by else ""
            steps.append(f"{to_china(reply.replied_at):%m-%d %H:%M} 单位反馈{who}：{reply.content}")
    return "；".join(steps)


def _unregistered_row(serial: int, ticket: Ticket) -> LedgerRow:
    call = ticket.call
    outcome = ""
    if call is not None and call.outcome in CallOutcome.__members__.values():
        outcome = CallOutcome(call.outcome).label
    return LedgerRow(
        serial=serial,
        number=ticket.number,
        called_at=f"{_called_at(ticket, None):%Y-%m-%d %H:%M:%S}",
        caller_number=mask_phone(ticket.caller_number),
        caller=(call.caller_name or "") if call else "",
        call_type=_type_label(_type_key(ticket, None)),
        question=ticket.content or "",
        process="；".join(x for x in (outcome, ticket.handling_note) if x),
        result=TicketStatus(ticket.status).label,
        agent=(call.agent_interface or "") if call else "",
    )


def ledger_rows(session: Session, start: date, end: date, viewer: Viewer) -> list[LedgerRow]:
    rows = []
    for serial, (ticket, detail) in enumerate(_tickets_in(session, start, end), start=1):
        if detail is None:
            rows.append(_unregistered_row(serial, ticket))
            continue
        vis = OrderVisibility(
            CallType(detail.call_type), assigned_reviewer=detail.assigned_reviewer
        )
        readable = can_read(viewer, vis)
        if readable and read_must_be_audited(vis):
            audit.record(
                session, viewer.username, "read_confidential", "ticket", ticket.id, via="ledger"
            )
        caller = session.get(Caller, detail.caller_id) if detail.caller_id else None
        situation = "，".join(x for x in (caller.name if caller else None, detail.location) if x)
        rows.append(
            LedgerRow(
                serial=serial,
                number=ticket.number,
                called_at=f"{to_china(detail.called_at):%Y-%m-%d %H:%M:%S}",
                caller_number=mask_phone(detail.contact_number or ticket.caller_number),
                caller=situation if readable else WITHHELD,
                call_type=CallType(detail.call_type).label,
                question=detail.question if readable else WITHHELD,
                process=_process(session, ticket, detail) if readable else WITHHELD,
                result=(detail.result or TicketStatus(ticket.status).label)
                if readable
                else WITHHELD,
                agent=detail.taken_by,
            )
        )
    return rows


def as_text(value: object) -> object:
    """A cell's value as a spreadsheet must show it: a text that a spreadsheet would run as a
    formula (``=HYPERLINK(…)`` as a caller's name) gets a leading ``'``, so Excel, LibreOffice
    and openpyxl keep it text in the CSV and the XLSX alike. Numbers are left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def ledger_csv(rows: Iterable[LedgerRow]) -> bytes:
    """UTF-8 with BOM so Excel on a Chinese Windows desktop opens it correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(LEDGER_HEADERS)
    for row in rows:
        writer.writerow([as_text(v) for v in row.values()])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def ledger_xlsx(rows: Iterable[LedgerRow], title: str = "台账") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(LEDGER_HEADERS)
    for row in rows:
        sheet.append([as_text(v) for v in row.values()])
    for column, width in zip("ABCDEFGHIJ", (6, 16, 20, 14, 20, 10, 40, 50, 30, 10), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Figures a supervisor is judged on.


@dataclass
class _Acc:
    calls: int = 0
    answered_calls: int = 0
    tickets: int = 0
    visits: int = 0
    resolved: int = 0
    satisfied: int = 0
    orders_due: int = 0
    orders_on_time: int = 0
    redispatches: int = 0
    talks: int = 0
    talks_within_target: int = 0


def _talk_share(type_key: str) -> float | None:
    if type_key == UNREGISTERED:
        return None
    talk = rule_for(type_key).talk
    return talk.share if talk is not None else None


def _repeats_a_repair(ticket: Ticket, detail: TicketDetail | None, orders: list[WorkOrder]) -> bool:
    """docs/hotline-rules.md, "Figures a supervisor is judged on": the same repair twice in a
    short period. Either the caller rang again and the order went out again (重派), or a new
    help request of the same category at the same place followed the first one's close
    (重复报修, crm/domain/repairs.py)."""
    if detail is None:
        return False
    if detail.repeat_repair_of is not None:
        return True
    return (
        ticket.previous_ticket_id is not None
        and bool(orders)
        and any(n.startswith("重派") for n in detail.notes)
    )


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def figures(
    session: Session, start: date, end: date, by: str, now: datetime
) -> list[dict[str, object]]:
    """Rates per ``by`` in {"day", "type", "unit"}.

    answer rate = calls answered by an agent / calls offered to the queue (per day only: a call
    has no type or unit until registered); resolution rate and satisfaction (4 or 5 of 5) from
    return visits; on-time reply rate = work orders replied by their feedback limit / work orders
    whose limit has passed or that were replied; repeat-repair rate = tickets that re-dispatch an
    earlier order or repeat a repair fixed within the repeat period / tickets;
    talk-within-target rate = answered calls whose talk time is within
    their type's target (e.g. 2 min for a consultation), to compare with the required share
    (80 %), given per type as ``talk_target_share``.
    """
    if by not in ("day", "type", "unit"):
        raise ValueError("by must be day, type or unit")
    acc: dict[str, _Acc] = defaultdict(_Acc)
    lo, hi = _bounds(start, end)
    if by == "day":
        for call in session.scalars(
            select(Call).where(Call.started_at >= lo, Call.started_at < hi)
        ):
            if call.queue is None and call.answered_at is None:
                continue  # finished in the IVR or sent to 110: never offered to an agent
            key = f"{to_china(call.started_at):%Y-%m-%d}"
            acc[key].calls += 1
            acc[key].answered_calls += call.answered_at is not None
    moment = to_china(now)
    for ticket, detail in _tickets_in(session, start, end):
        orders = list(session.scalars(select(WorkOrder).where(WorkOrder.ticket_id == ticket.id)))
        type_key = _type_key(ticket, detail)
        if by == "day":
            keys = [f"{_called_at(ticket, detail):%Y-%m-%d}"]
        elif by == "type":
            keys = [type_key]
        else:
            keys = sorted({str(o.unit_id) for o in orders})
        visits = list(
            session.scalars(select(ReturnVisit).where(ReturnVisit.ticket_id == ticket.id))
        )
        for key in keys:
            a = acc[key]
            a.tickets += 1
            talk = rule_for(type_key).talk if type_key != UNREGISTERED else None
            seconds = ticket.call.talk_seconds if ticket.call is not None else None
            if talk is not None and seconds is not None:
                a.talks += 1
                a.talks_within_target += seconds <= talk.within_minutes * 60
            a.redispatches += _repeats_a_repair(ticket, detail, orders)
            for v in visits:
                a.visits += 1
                a.resolved += v.resolved
                a.satisfied += v.satisfaction >= 4
            for o in orders:
                if by == "unit" and str(o.unit_id) != key:
                    continue
                if o.feedback_due is None:
                    continue
                due = to_china(o.feedback_due)
                if o.replied_at is not None or moment > due:
                    a.orders_due += 1
                    a.orders_on_time += o.replied_at is not None and to_china(o.replied_at) <= due
    names = {str(u.id): u.name for u in session.scalars(select(Unit))} if by == "unit" else {}
    result: list[dict[str, object]] = []
    for key in sorted(acc):
        a = acc[key]
        label = names.get(key, key) if by == "unit" else (_type_label(key) if by == "type" else key)
        result.append(
            {
                "key": key,
                "label": label,
                "calls": a.calls,
                "tickets": a.tickets,
                "answer_rate": _rate(a.answered_calls, a.calls),
                "resolution_rate": _rate(a.resolved, a.visits),
                "satisfaction": _rate(a.satisfied, a.visits),
                "on_time_reply_rate": _rate(a.orders_on_time, a.orders_due),
                "repeat_repair_rate": _rate(a.redispatches, a.tickets),
                "talk_within_target_rate": _rate(a.talks_within_target, a.talks),
                "talk_target_share": _talk_share(key) if by == "type" else None,
            }
        )
    return result
