"""The 值班长 / 热线负责人 console with a whistle-blowing report, in Chromium against the real
hotline: the report is listed sealed, opening it shows it and is the one audited read, it can
be dispatched only to a discipline-inspection or judicial body, and the hotline leader reads
who opened it in the console's audit view."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from callmodel.calltypes import CallType
from crm import db
from crm.domain.access import Role, Viewer
from crm.models import AuditEntry
from crm.orders import services as orders
from tests.helpers import new_ticket
from tests.integration.conftest import Hotline

SECRET = "某所长违规收取押金"
REPORTER = "13900004455"


def a_report(hotline: Hotline) -> tuple[int, str]:
    """A registered report assigned to rev1, as an agent would leave it."""
    engine = db.make_engine(hotline.settings.db_url)
    with db.transaction(db.make_sessionmaker(engine)) as session:
        ticket = new_ticket(session, REPORTER, datetime.now(UTC))
        ticket.number = f"{ticket.number}-J"  # apart from the numbers the CRM gives calls
        form = orders.RegistrationForm(
            CallType.REPORT,
            SECRET,
            contact_number=REPORTER,
            target="某所长",
            assigned_reviewer="rev1",
        )
        orders.register_ticket(session, ticket.id, form, Viewer("agent1", frozenset({Role.AGENT})))
        found = ticket.id, ticket.number
    engine.dispose()
    return found


def confidential_reads(hotline: Hotline, ticket_id: int) -> list[str]:
    engine = db.make_engine(hotline.settings.db_url)
    with db.make_sessionmaker(engine)() as session:
        actors = session.scalars(
            select(AuditEntry.actor).where(
                AuditEntry.action == "read_confidential", AuditEntry.entity_id == str(ticket_id)
            )
        ).all()
    engine.dispose()
    return list(actors)


def test_the_hotline_leader_opens_a_sealed_report_and_reads_who_opened_it(
    hotline: Hotline, console
):
    ticket_id, number = a_report(hotline)
    leader = console("leader1")  # a shift leader never sees the report at all
    lpage = leader.open("/web/leader")
    lpage.wait_for_selector("body[data-ready='1']")
    assert lpage.locator(f"tr[data-ticket='{number}']").count() == 0
    assert SECRET not in lpage.content()

    boss = console("boss1")
    page = boss.open("/web/leader")
    page.wait_for_selector("body[data-ready='1']")
    row = page.locator(f"tr[data-ticket='{number}']")
    row.wait_for()
    assert SECRET not in row.text_content() and "举报件" in row.text_content()
    assert confidential_reads(hotline, ticket_id) == []  # listing it is not reading it
    options = row.locator("select.unit option").all_text_contents()
    assert "市纪委监委效能监察室" in options and "市住房和城乡建设局" not in options
    row.locator("button[data-action=open-report]").click()
    page.wait_for_function(
        "([n, s]) => document.querySelector(`tr[data-ticket='${n}']`).textContent.includes(s)",
        arg=[number, SECRET],
    )
    assert REPORTER in row.text_content()
    assert confidential_reads(hotline, ticket_id) == ["boss1"]

    page.click("button[data-view=audit]")
    audit = page.locator("tr[data-audit]").filter(has_text=str(ticket_id)).first
    audit.wait_for()
    assert "boss1" in audit.text_content() and "read_confidential" in audit.text_content()
    boss.screenshot("leader-audit")
