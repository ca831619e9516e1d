"""The calendar in the consoles, in Chromium against the real hotline: an order whose deadline
is counted on a year without a published schedule is marked 预计 in the leader's list; the
wallboard warns from 1 November while next year's schedule is missing; the administrator enters
the schedule in 系统管理 → 节假日安排 and both go, live; a rollback brings them back."""

from __future__ import annotations

from datetime import UTC, date, datetime

from callmodel.calltypes import CallType
from crm import db
from crm.domain.access import Role, Viewer
from crm.domain.workcalendar import (
    CHINA_TZ,
    calendar_known,
    next_year_unpublished,
    statutory_schedule,
)
from crm.orders import services as orders
from tests.helpers import new_ticket
from tests.integration.conftest import Hotline

WARNING = "li[data-kind='calendar']"


def first_unpublished_year() -> int:
    """The first year neither the package nor a notice covers (the hotline has no site file)."""
    year = datetime.now(CHINA_TZ).year
    while calendar_known(date(year, 1, 1)):
        year += 1
    return year


def a_provisional_complaint(hotline: Hotline, year: int) -> str:
    """A complaint called on a working day of ``year``, registered as an agent would."""
    engine = db.make_engine(hotline.settings.db_url)
    called = datetime(year, 3, 10, 10, 0, tzinfo=CHINA_TZ)
    with db.transaction(db.make_sessionmaker(engine)) as session:
        ticket = new_ticket(session, "13900007788", called.astimezone(UTC))
        ticket.number = f"{ticket.number}-C"  # apart from the numbers the CRM gives calls
        form = orders.RegistrationForm(
            CallType.COMPLAINT, "窗口推诿", contact_number="13900007788", target="某窗口"
        )
        detail = orders.register_ticket(
            session, ticket.id, form, Viewer("agent1", frozenset({Role.AGENT}))
        )
        assert detail.deadlines_provisional and "预计" in detail.tell_caller[-1]
        number = ticket.number
    engine.dispose()
    return number


def by_law(year: int) -> str:
    """A valid notice for ``year``: the law's days off, no 调休."""
    days = ", ".join(d.isoformat() for d in sorted(statutory_schedule(year).holidays))
    return f"{year}:\n  holidays: [{days}]\n  workdays: []\n"


def mark_of(page, number: str):
    return page.locator(f"tr[data-ticket='{number}'] [data-provisional]")


def test_the_provisional_mark_and_the_wallboard_warning_come_and_go_with_the_schedule(
    hotline: Hotline, console
):
    year = first_unpublished_year()
    number = a_provisional_complaint(hotline, year)
    today = datetime.now(CHINA_TZ).date()
    warns = next_year_unpublished(today)

    leader = console("leader1")
    lpage = leader.open("/web/leader")
    lpage.wait_for_selector("body[data-ready='1']")
    mark = mark_of(lpage, number)
    mark.wait_for()
    assert mark.text_content() == "预计"
    assert "节假日安排" in (mark.get_attribute("title") or "")

    qc = console("qc1")
    qpage = qc.open("/web/supervisor")
    qpage.wait_for_selector("#tiles .tile")  # the wallboard arrived by push
    if warns:
        warning = qpage.locator(WARNING)
        warning.wait_for()
        assert f"{today.year + 1}年节假日安排尚未录入" in warning.text_content()
    else:  # before 1 November, or next year already published: nothing to warn of
        assert qpage.locator(WARNING).count() == 0

    admin = console("admin1")
    apage = admin.open("/web/admin")
    apage.wait_for_selector("body[data-ready='1']")
    apage.click("#doc-tabs button[data-doc='holidays']")
    apage.wait_for_function("document.getElementById('doc-text').value.includes('节假日安排')")
    # A bad file is refused with its line; nothing changes.
    apage.fill("#doc-text", f"{year}:\n  holidays: [{year}-01-01]\n")
    apage.click("#btn-apply")
    apage.wait_for_function("document.getElementById('doc-error').textContent.length > 0")
    refused = apage.text_content("#doc-error") + apage.text_content("#problems")
    assert "仍在使用原来的节假日安排" in refused and "缺少法定节假日" in refused
    assert "第 1 行" in refused
    # The year and next year entered: in force at once, the warning goes.
    years = sorted({year, today.year + 1} if warns else {year})
    apage.fill("#doc-text", "".join(by_law(y) for y in years))
    apage.fill("#doc-comment", "录入放假通知")
    apage.click("#btn-apply")
    apage.wait_for_function("document.getElementById('doc-msg').textContent === '已生效'")
    try:
        qpage.locator(WARNING).wait_for(state="detached")
        lpage.reload()
        lpage.wait_for_selector("body[data-ready='1']")
        lpage.locator(f"tr[data-ticket='{number}']").wait_for()
        assert mark_of(lpage, number).count() == 0
    finally:
        # Back to the shipped file (no year): the other browser tests count on the law alone.
        apage.locator("#versions li").last.locator("button[data-action=rollback]").click()
        apage.wait_for_function("document.getElementById('doc-msg').textContent === '已生效'")
    lpage.reload()
    mark_of(lpage, number).wait_for()
    if warns:
        qpage.locator(WARNING).wait_for()
