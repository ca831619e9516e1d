"""The 值班长's queue of a city in Chromium against the real hotline, with 160 open orders:
readable columns, server-side pages with a count, filters and search that narrow it, a sealed
report that stays sealed in search results, no default unit, dispatch and re-dispatch that say
what they made, overdue read as days and hours with the late stage, new orders appearing on
their own, and never a browser dialog."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Dialog, Page
from sqlalchemy import select

from callmodel.calltypes import CallType, TicketStatus
from crm import db
from crm.domain.access import Role, Viewer
from crm.models import Ticket
from crm.models.workorders import TicketDetail, Unit, WorkOrder
from crm.orders import services as orders
from tests.helpers import new_ticket
from tests.integration.conftest import Hotline

MARK = "队列测试"
N = 160
SECRET = "某科长收受红包二万元"
AGENT = Viewer("agent1", frozenset({Role.AGENT}))
TYPES = [CallType.HELP, CallType.CONSULTATION, CallType.COMPLAINT, CallType.SUGGESTION]


def _sessions(hotline: Hotline):  # type: ignore[no-untyped-def]
    engine = db.make_engine(hotline.settings.db_url)
    return engine, db.make_sessionmaker(engine)


def add_order(session, i: int, at: datetime, unit_id: int | None) -> Ticket:  # type: ignore[no-untyped-def]
    ticket = new_ticket(session, f"1390000{i:04d}", at)
    ticket.number = f"Q{at:%m%d}-{i:04d}"
    call_type = TYPES[i % len(TYPES)]
    form = orders.RegistrationForm(
        call_type,
        f"{MARK}{i}号 幸福路{i}号路灯不亮",
        contact_number=f"1390000{i:04d}",
        target="某街道办" if call_type is CallType.COMPLAINT else None,
        body_unit_id=unit_id,
    )
    orders.register_ticket(session, ticket.id, form, AGENT)
    return ticket


@pytest.fixture(scope="module")
def city(hotline: Hotline, staff: dict[str, str]) -> Iterator[dict[str, object]]:
    """160 registered orders (a quarter of them for one unit, the oldest days overdue) and a
    report assigned to rev1; archived afterwards so the other console tests see their own."""
    engine, sessions = _sessions(hotline)
    now = datetime.now(UTC)
    made: list[int] = []
    with db.transaction(sessions) as session:
        units = list(session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.id)))
        member = next(u for u in units if u.is_member and not u.handles_reports)
        for i in range(N):
            at = now - timedelta(days=3, hours=6) if i < 10 else now - timedelta(seconds=10 * i)
            made.append(add_order(session, i, at, member.id if i % 4 == 0 else None).id)
        report = new_ticket(session, "13900007788", now)
        report.number = f"Q{now:%m%d}-J001"
        orders.register_ticket(
            session,
            report.id,
            orders.RegistrationForm(
                CallType.REPORT,
                SECRET,
                contact_number="13900007788",
                target="某科长",
                assigned_reviewer="rev1",
            ),
            AGENT,
        )
        made.append(report.id)
        info = {"unit": member.id, "unit_name": member.name, "report": report.number}
    yield info
    with db.transaction(sessions) as session:
        for ticket in session.scalars(
            select(Ticket).where(Ticket.id.in_(made) | Ticket.number.like("Q%"))
        ):
            ticket.status = TicketStatus.ARCHIVED
        for ticket in session.scalars(select(Ticket).where(Ticket.previous_ticket_id.in_(made))):
            ticket.status = TicketStatus.ARCHIVED
    engine.dispose()


def no_dialogs(page: Page) -> list[str]:
    """Every browser dialog (alert, confirm, prompt) the page opens: the consoles open none."""
    seen: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        seen.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", dismiss)
    return seen


def shown(page: Page) -> int:
    return int(page.get_attribute("#orders-count", "data-total") or "-1")


def search(page: Page, text: str) -> None:
    before = page.get_attribute("body", "data-loaded")
    page.fill("#order-q", text)
    page.click("#order-search")
    page.wait_for_function("b => document.body.dataset.loaded !== b", arg=before, timeout=10000)


def open_queue(console, user: str = "leader1") -> tuple[Page, list[str]]:  # type: ignore[no-untyped-def]
    tab = console(user)
    page = tab.page
    dialogs = no_dialogs(page)
    tab.open("/web/leader")
    page.wait_for_selector("body[data-ready='1']")
    return page, dialogs


def test_160_orders_are_paged_counted_readable_and_narrowed(city, console):  # type: ignore[no-untyped-def]
    page, dialogs = open_queue(console)
    search(page, MARK)
    assert shown(page) == N
    assert page.text_content("#orders-count") == f"共 {N} 条"
    assert page.locator("#orders tr[data-ticket]").count() == 20
    assert page.text_content("#page-of") == f"第 1 / {N // 20} 页"
    # Readable widths: the number on one line, the content column wide enough to read.
    number = page.locator("#orders tr[data-ticket] td.c-number").first.bounding_box()
    content = page.locator("#orders tr[data-ticket] td.c-content").first.bounding_box()
    assert number and content
    assert number["width"] >= 80 and content["width"] >= 200, (number, content)
    lines = page.locator("#orders tr[data-ticket] td.c-number").first.evaluate(
        "td => { const r = document.createRange(); r.selectNodeContents(td);"
        " return r.getClientRects().length; }"
    )
    assert lines == 1  # the order number on one line, never a character a line
    page.screenshot(path="/tmp/leader-queue.png")
    first_page = page.locator("#orders tr[data-ticket]").first.get_attribute("data-ticket")
    page.click("#page-next")
    page.wait_for_function(
        "() => document.querySelector('#page-of').textContent.startsWith('第 2')"
    )
    assert page.locator("#orders tr[data-ticket]").first.get_attribute("data-ticket") != first_page

    # The most overdue come first, and say by how much and at which stage.
    page.click("#page-prev")
    page.wait_for_function(
        "() => document.querySelector('#page-of').textContent.startsWith('第 1')"
    )
    late = page.locator("#orders td.c-due[data-overdue='1']").first.text_content() or ""
    assert re.fullmatch(r"已超期 3天\d+小时（(派单|单位反馈|答复来电人)）.*", late), late
    assert not re.search(r"\d{3,}小时", page.text_content("#orders") or "")

    # Filters: one unit's quarter, a type, overdue only; the search narrows to one order.
    before = page.get_attribute("body", "data-loaded")
    page.select_option("select[name=unit_id]", str(city["unit"]))
    page.wait_for_function("b => document.body.dataset.loaded !== b", arg=before)
    assert shown(page) == N // 4
    before = page.get_attribute("body", "data-loaded")
    page.select_option("select[name=unit_id]", "")
    page.wait_for_function("b => document.body.dataset.loaded !== b", arg=before)
    before = page.get_attribute("body", "data-loaded")
    page.select_option("select[name=overdue]", "true")
    page.wait_for_function("b => document.body.dataset.loaded !== b", arg=before)
    assert shown(page) == 10
    before = page.get_attribute("body", "data-loaded")
    page.select_option("select[name=overdue]", "")
    page.wait_for_function("b => document.body.dataset.loaded !== b", arg=before)
    search(page, "幸福路77号")
    assert shown(page) == 1
    assert page.locator("#orders tr[data-ticket]").count() == 1

    # Sorting by number, both ways.
    search(page, MARK)
    before = page.get_attribute("body", "data-loaded")
    page.click("th[data-sort=number]")
    page.wait_for_function("b => document.body.dataset.loaded !== b", arg=before)
    numbers = page.locator("#orders tr[data-ticket]").evaluate_all(
        "rows => rows.map(r => r.dataset.ticket)"
    )
    assert numbers == sorted(numbers)
    before = page.get_attribute("body", "data-loaded")
    page.click("th[data-sort=number]")
    page.wait_for_function("b => document.body.dataset.loaded !== b", arg=before)
    numbers = page.locator("#orders tr[data-ticket]").evaluate_all(
        "rows => rows.map(r => r.dataset.ticket)"
    )
    assert numbers == sorted(numbers, reverse=True)
    assert dialogs == []


def test_new_orders_appear_without_a_click(hotline: Hotline, city, console):  # type: ignore[no-untyped-def]
    page, dialogs = open_queue(console)
    search(page, MARK)
    assert shown(page) == N
    engine, sessions = _sessions(hotline)
    with db.transaction(sessions) as session:
        add_order(session, N, datetime.now(UTC), None)
    engine.dispose()
    page.wait_for_function(
        "n => document.querySelector('#orders-count').dataset.total === String(n)",
        arg=N + 1,
        timeout=20000,
    )
    assert dialogs == []


def test_a_dispatch_in_one_console_is_pushed_to_another(city, console):  # type: ignore[no-untyped-def]
    """The WebSocket push, not the poll: the other console redraws within a few seconds, well
    before its next 10 s poll."""
    other, _ = open_queue(console)  # opened first: the watcher's poll is 10 s away at the end
    watcher, dialogs = open_queue(console)
    search(watcher, f"{MARK}5号 ")
    assert shown(watcher) == 1
    ticket_id = watcher.evaluate(
        "q => fetch('/web/api/leader/table?view=dispatch&q=' + encodeURIComponent(q))"
        ".then(r => r.json()).then(t => t.rows[0].ticket_id)",
        f"{MARK}5号",
    )
    status = other.evaluate(
        "([id, unit]) => fetch(`/web/api/leader/orders/${id}/dispatch`, {method: 'POST',"
        " headers: {'Content-Type': 'application/json'}, body: JSON.stringify({unit_id: unit})})"
        ".then(r => r.status)",
        [ticket_id, city["unit"]],
    )
    assert status == 200
    watcher.wait_for_function(
        "() => document.querySelector('#orders-count').dataset.total === '0'", timeout=4000
    )
    assert dialogs == []


def test_a_sealed_report_stays_sealed_in_search(city, console):  # type: ignore[no-untyped-def]
    page, dialogs = open_queue(console, "boss1")
    search(page, SECRET)
    assert shown(page) == 0  # the text of a sealed report is not searchable
    search(page, "某科长")
    assert shown(page) == 0
    search(page, str(city["report"]))
    assert shown(page) == 1
    row = page.locator(f"tr[data-ticket='{city['report']}']")
    text = row.text_content() or ""
    assert SECRET not in text and "举报件" in text
    assert SECRET not in page.content()
    # A shift leader never finds it at all.
    leader, _ = open_queue(console)
    search(leader, str(city["report"]))
    assert shown(leader) == 0
    assert dialogs == []


def test_no_default_unit_dispatch_refused_then_done_with_its_number(
    hotline: Hotline, city, console
):  # type: ignore[no-untyped-def]
    page, dialogs = open_queue(console)
    search(page, f"{MARK}1号 ")
    assert shown(page) == 1
    row = page.locator("#orders tr[data-ticket]").first
    number = row.get_attribute("data-ticket")
    select_unit = row.locator("select.unit")
    assert select_unit.input_value() == ""
    assert select_unit.locator("option").first.text_content() == "请选择承办单位"
    row.locator("button[data-action=dispatch]").click()
    row.locator(".row-msg.error").wait_for()
    assert "请先选择承办单位" in (row.locator(".row-msg").text_content() or "")
    engine, sessions = _sessions(hotline)
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        assert (
            session.scalars(select(WorkOrder).where(WorkOrder.ticket_id == ticket.id)).all() == []
        )
    select_unit.select_option(str(city["unit"]))
    row.locator("button[data-action=dispatch]").click()
    page.wait_for_selector("#leader-feedback[data-kind=ok]")
    with sessions() as session:
        order = session.scalar(select(WorkOrder).where(WorkOrder.ticket_id == ticket.id))
    engine.dispose()
    assert order is not None and order.unit_id == city["unit"]
    feedback = page.text_content("#leader-feedback") or ""
    assert f"工单编号 {order.id}" in feedback and number in feedback
    assert str(city["unit_name"]) in feedback
    assert dialogs == []


def test_redispatch_asks_a_reason_and_shows_the_new_number(hotline: Hotline, city, console):  # type: ignore[no-untyped-def]
    engine, sessions = _sessions(hotline)
    with db.transaction(sessions) as session:
        ticket = add_order(session, 900, datetime.now(UTC), city["unit"])  # type: ignore[arg-type]
        orders.dispatch(
            session, ticket.id, city["unit"], Viewer("leader1", frozenset({Role.SHIFT_LEADER}))
        )  # type: ignore[arg-type]
        old = ticket.number
    page, dialogs = open_queue(console)
    page.click("button[data-view=open]")
    search(page, old)
    row = page.locator(f"tr[data-ticket='{old}']")
    row.locator("button[data-action=redispatch]").click()
    confirm = row.locator("[data-confirm=redispatch]")
    confirm.wait_for()
    assert "确认将定单" in (confirm.text_content() or "")
    row.locator("button[data-action=redispatch-confirm]").click()
    row.locator(".row-msg.error").wait_for()
    assert "原因" in (row.locator(".row-msg").text_content() or "")
    row.locator("input.redispatch-reason").fill("来电人反映单位未联系")
    row.locator("button[data-action=redispatch-confirm]").click()
    link = page.locator("#leader-feedback [data-new-order]")
    link.wait_for()
    new_number = link.get_attribute("data-new-order")
    assert new_number and new_number != old
    assert f"原定单 {old}" in (page.text_content("#leader-feedback") or "")
    with sessions() as session:
        made = session.scalar(select(Ticket).where(Ticket.number == new_number))
        assert made is not None and made.previous_ticket_id == ticket.id
        detail = session.get(TicketDetail, made.id)
        assert detail is not None and any("来电人反映单位未联系" in n for n in detail.notes)
    engine.dispose()
    link.click()  # the new order's number finds it
    page.wait_for_selector(f"tr[data-ticket='{new_number}']")
    assert dialogs == []


def test_no_console_action_opens_a_dialog(city, console):  # type: ignore[no-untyped-def]
    """Error paths in the queue and the report (a refused read, a refused dispatch) answer
    inline: any alert/confirm/prompt fails this test."""
    page, dialogs = open_queue(console, "boss1")
    page.on("dialog", lambda d: pytest.fail(f"dialog opened: {d.message}"))
    search(page, str(city["report"]))
    row = page.locator(f"tr[data-ticket='{city['report']}']")
    row.locator("button[data-action=dispatch]").click()  # no unit chosen
    row.locator(".row-msg.error").wait_for()
    for view in ("overdue", "open", "simple", "audit", "dispatch"):
        page.click(f"button[data-view={view}]")
        page.wait_for_timeout(200)
    page.evaluate("() => fetch('/web/api/leader/orders/999999999')")
    assert dialogs == []
    source = page.evaluate(
        "() => Promise.all([...document.scripts].filter(s => s.src)"
        ".map(s => fetch(s.src).then(r => r.text())))"
    )
    assert not any("alert(" in text for text in source)
