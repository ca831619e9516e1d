"""The 成员单位 and 回访 consoles in Chromium against the real hotline.

A member unit's staff see their own unit's orders only (another unit's order is absent, and its
direct address is refused with the unit wording), read the chases on an order and reply, after
which the order leaves their inbox; a report stays sealed for a unit it was not dispatched to and
opens for the discipline-inspection body it was. A 回访 user tells the caller the unit's reply,
records the visit, and 满意度 in ``/api/figures`` moves; a caller not satisfied gets a new order
referencing the old one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from callmodel.calltypes import CallType, TicketStatus
from crm import db
from crm.accounts.services import set_account
from crm.domain.access import Role, Viewer
from crm.models import Ticket
from crm.models.workorders import StaffUser, Unit
from crm.orders import services as orders
from crm.orders.unit_inbox import NO_UNIT
from crm.orders.visibility import CONFIDENTIAL, NOT_YOUR_UNIT
from tests.helpers import new_ticket
from tests.integration.conftest import Hotline
from tests.web.conftest import PASSWORD

AGENT = Viewer("agent1", frozenset({Role.AGENT}))
LEADER = Viewer("leader1", frozenset({Role.SHIFT_LEADER}))
BOSS = Viewer("boss1", frozenset({Role.HOTLINE_LEADER}))
HRSS, HOUSING, DISCIPLINE = "市人力资源和社会保障局", "市住房和城乡建设局", "市纪委监委效能监察室"
# Unit staff: (unit, display name); the last has no unit at all.
UNIT_STAFF = {"unit-hrss": HRSS, "unit-jw": DISCIPLINE, "unit-none": None}
SECRET = "某科长收受购物卡"


def _sessions(hotline: Hotline) -> Any:
    return db.make_sessionmaker(db.make_engine(hotline.settings.db_url))


def unit_id(hotline: Hotline, name: str) -> int:
    with _sessions(hotline)() as session:
        return int(session.scalar(select(Unit.id).where(Unit.name == name)))


@pytest.fixture(scope="module")
def unit_staff(hotline: Hotline, staff: dict[str, str]) -> None:
    with db.transaction(_sessions(hotline)) as session:
        for username, unit in UNIT_STAFF.items():
            user = set_account(session, username, PASSWORD, [Role.UNIT], display_name="单位经办")
            session.flush()
            user.unit_id = (
                session.scalar(select(Unit.id).where(Unit.name == unit)) if unit else None
            )
        session.flush()
        assert session.scalar(select(StaffUser).where(StaffUser.username == "unit-hrss"))


def dispatched(
    hotline: Hotline, unit: str, question: str, caller: str, call_type: CallType = CallType.HELP
) -> tuple[int, str]:
    """A registered order dispatched by the shift leader to ``unit``."""
    with db.transaction(_sessions(hotline)) as session:
        ticket = new_ticket(session, caller, datetime.now(UTC))
        ticket.number = f"{ticket.number}-U"
        reviewer = "rev1" if call_type is CallType.REPORT else None
        form = orders.RegistrationForm(
            call_type, question, contact_number=caller, target="某科长" if reviewer else None,
            location="新城区" if not reviewer else None, assigned_reviewer=reviewer,
        )  # fmt: skip
        orders.register_ticket(session, ticket.id, form, AGENT)
        target = session.scalar(select(Unit.id).where(Unit.name == unit))
        orders.dispatch(session, ticket.id, target, BOSS if reviewer else LEADER)
        return ticket.id, ticket.number


def chase(hotline: Hotline, ticket_id: int, caller: str) -> None:
    """The caller rings again before the deadline: a chase (催单) of the order."""
    with db.transaction(_sessions(hotline)) as session:
        again = new_ticket(session, caller, datetime.now(UTC))
        again.number = f"{again.number}-C"
        decision = orders.handle_repeat_call(session, again.id, AGENT, previous_ticket_id=ticket_id)
        assert decision.is_chase


def status_of(hotline: Hotline, ticket_id: int) -> str:
    with _sessions(hotline)() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        return str(ticket.status)


def test_a_unit_works_its_own_orders_only_and_replies(hotline: Hotline, console, unit_staff):
    mine, my_number = dispatched(hotline, HRSS, "单位欠缴社保无人处理", "13900001111")
    theirs, their_number = dispatched(hotline, HOUSING, "楼道灯坏了三天", "13900002222")
    chase(hotline, mine, "13900001111")

    tab = console("unit-hrss")
    page = tab.open("/web/unit")
    page.wait_for_selector("body[data-ready='1']")
    row = page.locator(f"tr[data-ticket='{my_number}']")
    row.wait_for()
    assert page.locator(f"tr[data-ticket='{their_number}']").count() == 0
    assert "楼道灯坏了三天" not in page.content()
    assert "单位反馈" in row.text_content()
    assert row.locator("[data-chases='1']").count() == 1
    assert "13900001111" not in page.content()  # a unit sees callers masked

    row.locator("button[data-action=open]").click()
    page.wait_for_selector("#reply-form")
    assert "单位欠缴社保无人处理" in page.locator("#order-question").text_content()
    assert "催单" in page.locator("#order-chases").text_content()
    page.locator("button[data-action=reply]").click()  # empty: said inline, nothing sent
    assert "必填" in page.locator("#reply-result").text_content()
    page.fill("#reply-content", "已联系来电人，责令用人单位补缴")
    page.fill("#reply-person", "刘科员")
    tab.screenshot("unit-console")
    page.locator("button[data-action=reply]").click()
    page.wait_for_function(
        "document.getElementById('reply-result').textContent.includes('反馈已提交')"
    )
    assert status_of(hotline, mine) == TicketStatus.REPLIED.value
    page.locator(f"tr[data-ticket='{my_number}']").wait_for(state="detached")

    # Another unit's order by its address: refused with the unit wording, on the page and API.
    page = tab.open(f"/web/unit?order={theirs}")
    page.wait_for_selector("#order-error")
    assert NOT_YOUR_UNIT in page.locator("#order-error").text_content()
    refused = tab.context.request.get(f"{tab.base}/web/api/unit/orders/{theirs}")
    assert refused.status == 403 and refused.json()["error"] == NOT_YOUR_UNIT
    # Replying to it is refused as well, and it does not move.
    sent = tab.context.request.post(
        f"{tab.base}/web/api/unit/orders/{theirs}/reply",
        data={"content": "不是我们的"},
        headers={"Origin": tab.base},
    )
    assert sent.status == 403
    assert status_of(hotline, theirs) == TicketStatus.DISPATCHED.value


def test_a_report_stays_sealed_for_a_unit_it_was_not_dispatched_to(
    hotline: Hotline, console, unit_staff
):
    report, number = dispatched(hotline, DISCIPLINE, SECRET, "13900003333", CallType.REPORT)
    other = console("unit-hrss")
    page = other.open(f"/web/unit?order={report}")
    page.wait_for_selector("#order-error")
    assert CONFIDENTIAL in page.locator("#order-error").text_content()
    assert SECRET not in page.content()
    page.locator("button[data-view=all]").click()
    page.wait_for_timeout(300)
    assert page.locator(f"tr[data-ticket='{number}']").count() == 0

    body = console("unit-jw")  # the discipline-inspection body it went to reads it
    page = body.open("/web/unit")
    row = page.locator(f"tr[data-ticket='{number}']")
    row.wait_for()
    row.locator("button[data-action=open]").click()
    page.wait_for_selector("#reply-form")
    assert SECRET in page.locator("#order-question").text_content()
    assert "13900003333" not in page.content()

    lost = console("unit-none")
    page = lost.open("/web/unit")
    page.wait_for_function(f"document.body.textContent.includes('{NO_UNIT}')")


def satisfaction(tab: Any, unit: int) -> float | None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    answer = tab.context.request.get(f"{tab.base}/api/figures?start={today}&end={today}&by=unit")
    assert answer.ok, answer.text()
    rows = {row["key"]: row for row in answer.json()}
    return rows.get(str(unit), {}).get("satisfaction")


def done_with(page: Any, number: str, text: str) -> None:
    """Wait for the console to say what the last action on ``number`` did."""
    page.wait_for_function(
        "([n, t]) => { const d = document.getElementById('visits-done');"
        " return d.dataset.ticket === n && d.textContent.includes(t); }",
        arg=[number, text],
    )


def replied(hotline: Hotline, question: str, caller: str) -> tuple[int, str]:
    ticket_id, number = dispatched(hotline, HRSS, question, caller)
    with db.transaction(_sessions(hotline)) as session:
        unit = Viewer("unit-hrss", frozenset({Role.UNIT}), unit_id=orders.open_work_order(
            session, ticket_id
        ).unit_id)  # fmt: skip
        orders.record_unit_reply(session, ticket_id, f"关于“{question}”已办结", unit)
    return ticket_id, number


def test_a_return_visit_moves_satisfaction_and_not_satisfied_reopens(
    hotline: Hotline, console, unit_staff
):
    hrss = unit_id(hotline, HRSS)
    happy, happy_number = replied(hotline, "工资拖欠两个月", "13900004444")
    unhappy, unhappy_number = replied(hotline, "失业金未到账", "13900005555")

    tab = console("leader1")
    before = satisfaction(tab, hrss)
    page = tab.open("/web/visits")
    page.wait_for_selector("body[data-ready='1']")
    for number in (happy_number, unhappy_number):  # tell the caller the unit's reply
        row = page.locator(f"tr[data-ticket='{number}']")
        row.wait_for()
        assert "已办结" in row.locator("textarea").input_value()
        assert "139000" in row.text_content()  # the visitor handles the caller: number shown
        row.locator("button[data-action=answer]").click()
        row.wait_for(state="detached")  # on to the return-visit queue
    assert status_of(hotline, happy) == TicketStatus.CALLER_ANSWERED.value

    page.locator("button[data-view=visit]").click()
    row = page.locator(f"tr[data-ticket='{happy_number}']")
    row.wait_for()
    assert row.locator("button[data-action=call-back]").count() == 0  # no desk phone

    agent = console("agent1").open("/web/visits")  # a desk phone: the citizen is called back
    agent.wait_for_selector("body[data-ready='1']")
    agent.locator("button[data-view=visit]").click()
    agent.locator(f"tr[data-ticket='{happy_number}'] button[data-action=call-back]").wait_for()
    row.locator("button[data-action=visit]").click()  # no level chosen: said inline
    assert "请选择" in row.locator(".row-result").text_content()
    row.locator("input[value=satisfied]").check()
    row.locator("input.comment").fill("来电人表示满意")
    tab.screenshot("visits-console")
    row.locator("button[data-action=visit]").click()
    done_with(page, happy_number, "定单已归档")
    assert status_of(hotline, happy) == TicketStatus.ARCHIVED.value
    after = satisfaction(tab, hrss)
    assert after is not None and after != before and after > (before or 0)

    row = page.locator(f"tr[data-ticket='{unhappy_number}']")
    row.locator("select.reached").select_option("0")  # not reached: still waiting
    row.locator("button[data-action=visit]").click()
    page.wait_for_function(
        "n => document.querySelector(`tr[data-ticket='${n}'] [data-unreached='1']`)",
        arg=unhappy_number,
    )
    assert status_of(hotline, unhappy) == TicketStatus.CALLER_ANSWERED.value
    row = page.locator(f"tr[data-ticket='{unhappy_number}']")
    row.locator("input[value=not_satisfied]").check()
    row.locator("button[data-action=visit]").click()
    done_with(page, unhappy_number, "已新建定单")
    assert satisfaction(tab, hrss) < after
    with _sessions(hotline)() as session:
        again = session.scalar(select(Ticket).where(Ticket.previous_ticket_id == unhappy))
        assert again is not None and again.status == TicketStatus.DISPATCHED
