"""系统管理 → 节假日安排 over HTTP, without a telephone: the schedule is a document like the
dialplans (versions with author, time and diff; rollback; a save over a newer version refused),
a bad file is refused with its line and changes nothing, and a saved one is in force at once:
the open orders move off 预计, and back on with a rollback. The agent console's registration
answer carries the mark and the 预计 sentence; the leader's list shows it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crm import db
from crm.accounts.services import set_account
from crm.app import create_app
from crm.directory.services import seed_all
from crm.domain import messages as msg
from crm.domain.access import Role
from crm.domain.workcalendar import CHINA_TZ, calendar_known, use_site_schedule
from crm.models import AuditEntry, Ticket
from crm.reports.wallboard import calendar_warning
from hotline.settings import load_settings
from tests.support.schedules import SITE_2027, WORKED_SATURDAY
from tests.web.sessions import PASSWORD, as_user

NUMBER = "13912345670"
CALLED = datetime(2027, 2, 19, 10, 0, tzinfo=CHINA_TZ)  # Friday before the worked Saturday
DOC = "/web/api/admin/documents/holidays"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("HOTLINE_CONFIG", str(tmp_path / "none.yaml"))
    use_site_schedule({})
    application = create_app(load_settings(var_dir=tmp_path), connect_ami=False)
    with TestClient(application) as client:
        with db.transaction(application.state.sessions) as session:
            seed_all(session)
            set_account(session, "agent1", PASSWORD, [Role.AGENT], extension="8001")
            set_account(session, "leader1", PASSWORD, [Role.SHIFT_LEADER])
            set_account(session, "admin1", PASSWORD, [Role.ADMIN])
            session.add(Ticket(number="20270219-0001", caller_number=NUMBER, created_at=CALLED))
        yield client
    use_site_schedule({})


def register_complaint(client: TestClient) -> dict:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        ticket_id = session.scalars(select(Ticket.id)).one()
    as_user(client, "agent1")
    form = {
        "call_type": "complaint",
        "question": "窗口工作人员推诿",
        "target": "某区政务服务中心",
        "contact_number": NUMBER,
    }
    response = client.post(f"/web/api/tickets/{ticket_id}/register", json=form)
    assert response.status_code == 200, response.text
    return response.json()


def leader_row(client: TestClient) -> dict:
    as_user(client, "leader1")
    (row,) = client.get("/web/api/leader/orders?view=dispatch").json()
    return row


def save(client: TestClient, content: str, base: int | None, comment: str = ""):
    return client.post(DOC, json={"content": content, "comment": comment, "base_version": base})


def test_the_schedule_is_saved_refused_versioned_and_rolled_back(app: TestClient) -> None:
    registered = register_complaint(app)
    # The agent console's answer: the mark and the sentence to read, with 预计.
    assert registered["deadlines_provisional"] is True
    told = msg.REPLY_DEADLINE_PROVISIONAL.format(due="2月25日10:00")
    assert registered["tell_caller"][-1] == told
    row = leader_row(app)
    assert row["deadlines_provisional"] is True
    assert row["deadlines"]["reply"]["due"].startswith("2027-02-25T10:00")

    as_user(app, "admin1")
    names = [d["name"] for d in app.get("/web/api/admin/documents").json()]
    assert "holidays" in names
    first = app.get(DOC).json()
    assert first["label"] == "节假日安排" and first["applies_to"] == "crm"
    assert first["from_software"] and first["content"] == first["shipped"]
    assert [v["author"] for v in first["versions"]] == ["setup"]

    # A bad file: refused with the line and the date, nothing changes.
    bad = SITE_2027.replace("2027-02-20,", "2027-02-22,")
    refused = save(app, bad, first["version"])
    assert refused.status_code == 422
    body = refused.json()
    assert "2027-02-22 是星期一" in body["error"] and "第 11 行" in body["error"]
    assert body["problems"] == [
        {
            "file": "holidays.yaml",
            "line": 11,
            "message": "2027 年 workdays：2027-02-22 是星期一，调休上班日应为周六或周日",
        }
    ]
    assert not calendar_known(WORKED_SATURDAY)
    assert not (app.app.state.settings.var_dir / "holidays.yaml").exists()  # type: ignore[attr-defined]
    assert len(app.get(DOC).json()["versions"]) == 1

    # A good file: in force at once, the open order moves off 预计.
    saved = save(app, SITE_2027, first["version"], "录入国务院 2027 年放假通知")
    assert saved.status_code == 200, saved.text
    view = saved.json()
    assert view["content"] == SITE_2027 and not view["from_software"]
    latest = view["versions"][0]
    assert (latest["author"], latest["comment"]) == ("admin1", "录入国务院 2027 年放假通知")
    assert "+  workdays: [2027-02-14, 2027-02-20" in latest["diff"]
    assert calendar_known(WORKED_SATURDAY)
    row = leader_row(app)
    assert row["deadlines_provisional"] is False
    assert row["deadlines"]["reply"]["due"].startswith("2027-02-24T10:00")  # Sat 20 worked

    # A save over a version someone else replaced is refused.
    as_user(app, "admin1")
    stale = save(app, SITE_2027 + "\n", first["version"])
    assert stale.status_code == 422 and "已被 admin1 修改" in stale.json()["error"]

    # Rollback to the shipped version: 2027 by the law again, the order provisional again.
    rolled = app.post(f"{DOC}/versions/{first['version']}/rollback")
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["versions"][0]["comment"] == f"回滚到版本 #{first['version']}"
    assert rolled.json()["from_software"]  # equal to the shipped file: the site's is removed
    assert not calendar_known(WORKED_SATURDAY)
    assert leader_row(app)["deadlines_provisional"] is True

    with app.app.state.sessions() as session:  # type: ignore[attr-defined]
        actions = session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.action.in_(["apply_config", "recount_deadlines"])
            )
        ).all()
    assert actions == ["recount_deadlines", "apply_config", "recount_deadlines", "apply_config"]


def test_only_the_admin_edits_the_schedule(app: TestClient) -> None:
    as_user(app, "leader1")
    assert app.get(DOC).status_code == 403
    assert save(app, SITE_2027, None).status_code == 403
    assert not calendar_known(WORKED_SATURDAY)


def test_the_schedule_in_the_site_file_is_in_force_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_CONFIG", str(tmp_path / "none.yaml"))
    (tmp_path / "holidays.yaml").write_text(SITE_2027, encoding="utf-8")
    use_site_schedule({})
    with TestClient(create_app(load_settings(var_dir=tmp_path), connect_ami=False)):
        assert calendar_known(WORKED_SATURDAY)
    # A file broken by hand does not stop the CRM: the years are counted by package and law.
    (tmp_path / "holidays.yaml").write_text("2027:\n  holidays: [2027-02-30]\n", "utf-8")
    with TestClient(create_app(load_settings(var_dir=tmp_path), connect_ami=False)) as client:
        assert not calendar_known(WORKED_SATURDAY)
        assert client.get("/healthz").status_code == 200
    use_site_schedule({})


@pytest.mark.parametrize(
    ("today", "site", "warns"),
    [
        (datetime(2026, 10, 31, 12, tzinfo=UTC), False, False),  # before 1 November
        (datetime(2026, 10, 31, 16, tzinfo=UTC), False, True),  # 1 November in China
        (datetime(2026, 12, 1, 9, tzinfo=UTC), False, True),
        (datetime(2026, 12, 1, 9, tzinfo=UTC), True, False),  # 2027 entered
        (datetime(2025, 11, 3, 9, tzinfo=UTC), False, False),  # the package carries 2026
    ],
)
def test_the_wallboard_warns_from_november_while_next_year_is_missing(
    today: datetime, site: bool, warns: bool
) -> None:
    from crm.domain.workcalendar import parse_schedule

    use_site_schedule(parse_schedule(SITE_2027) if site else {})
    warning = calendar_warning(SimpleNamespace(clock=lambda: today))
    use_site_schedule({})
    assert (warning is not None) is warns
    if warning:
        assert warning == msg.NEXT_YEAR_SCHEDULE_MISSING.format(year=2027)
