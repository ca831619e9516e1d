"""The rules of issue 13 through the API, on SQLite and PostgreSQL, with a frozen clock."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hotline.settings import RepairSettings
from tests.api.conftest import Clock, as_user
from tests.api.test_orders_api import make_ticket, unit_id
from tests.helpers import cn

AGENT, LEADER, BOSS = as_user("agent1"), as_user("shift1"), as_user("boss")


def test_one_caller_whatever_the_form_of_the_number(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    tid = make_ticket(session_factory, "04716250000", 9, 30, 10)
    r = client.post(
        f"/api/orders/{tid}/registration",
        json={"call_type": "help", "question": "暖气不热", "contact_number": "+86 471 625 0000"},
        headers=AGENT,
    )
    assert r.status_code == 200, r.text
    assert r.json()["contact_number"] == "04716250000"
    for form in ("+864716250000", "0471-6250000", "00864716250000"):
        calls = client.get("/api/calls", params={"caller": form}, headers=LEADER).json()
        assert [c["caller_number"] for c in calls] == ["04716250000"], form
    call = calls[0]
    assert (call["caller_area"], call["caller_line"]) == ("内蒙古呼和浩特市", "fixed")
    assert call["caller_display"] == "0471 625 0000"


def test_the_home_area_is_kept_from_those_who_may_not_see_the_number(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    make_ticket(session_factory, "13812345678", 9, 30, 10)
    supervisor = as_user("admin")  # 系统管理员: numbers masked
    calls = client.get("/api/calls", headers=supervisor).json()
    assert calls[0]["caller_number"] == "138****5678" and calls[0]["caller_area"] == ""
    calls = client.get("/api/calls", headers=LEADER).json()
    assert calls[0]["caller_area"] == "江苏省连云港市" and calls[0]["caller_line"] == "mobile"


def _repair(client: TestClient, tid: int, place: str, category: str | None = "路灯") -> dict:
    body = {"call_type": "help", "question": "路灯不亮", "contact_number": "13800000021"}
    body |= {"location": place} | ({"repair_category": category} if category else {})
    r = client.post(f"/api/orders/{tid}/registration", json=body, headers=AGENT)
    assert r.status_code == 200, r.text
    return r.json()


def _fix_and_close(client: TestClient, tid: int, unit: int) -> None:
    steps = [
        ("dispatch", {"unit_id": unit}),
        ("unit-reply", {"content": "已修复"}),
        ("answer", {"result": "已修复"}),
        ("return-visit", {"satisfaction": 5, "resolved": True}),
        ("archive", None),
    ]
    for path, payload in steps:
        r = client.post(f"/api/orders/{tid}/{path}", json=payload, headers=LEADER)
        assert r.status_code == 200, (path, r.text)


@pytest.mark.parametrize(("days", "repeat"), [(30, True), (3, False)])
def test_a_repeat_repair_alerts_the_hotline_leader_and_counts(
    app: FastAPI,
    client: TestClient,
    session_factory: sessionmaker[Session],
    clock: Clock,
    days: int,
    repeat: bool,
) -> None:
    app.state.settings = SimpleNamespace(repairs=RepairSettings(repeat_days=days))
    first = make_ticket(session_factory, "13800000021", 9, 30, 10)
    first_number = _repair(client, first, "新城区海拉尔东街12号")["number"]
    _fix_and_close(client, first, unit_id(session_factory, "city-water"))
    clock.now = cn(10, 9, 9)
    again = make_ticket(session_factory, "13800000022", 10, 9, 9)
    order = _repair(client, again, "新城区 海拉尔东街 12号")
    assert order["repeat_repair_of"] == (first_number if repeat else None)
    assert order["repair_category"] == "路灯"
    alerts = client.get("/api/alerts", headers=BOSS).json()
    visits = [a for a in alerts if a["kind"] == "leader_visit"]
    assert len(visits) == (1 if repeat else 0)
    span = {"start": "2026-09-30", "end": "2026-10-09", "by": "type"}
    figs = {f["key"]: f for f in client.get("/api/figures", params=span, headers=LEADER).json()}
    assert figs["help"]["repeat_repair_rate"] == (0.5 if repeat else 0.0)


def test_a_repair_category_is_a_code(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    tid = make_ticket(session_factory, "13800000023", 9, 30, 10)
    body = {"call_type": "help", "question": "x", "contact_number": "13800000023"}
    r = client.post(
        f"/api/orders/{tid}/registration",
        json=body | {"repair_category": "路 灯"},
        headers=AGENT,
    )
    assert r.status_code == 422 and "repair_category" in r.json()["error"]


def test_a_consultation_has_four_hours_at_the_front_desk(
    client: TestClient, session_factory: sessionmaker[Session], clock: Clock
) -> None:
    tid = make_ticket(session_factory, "13800000031", 9, 30, 10)
    r = client.post(
        f"/api/orders/{tid}/registration",
        json={"call_type": "consultation", "question": "落户需要哪些材料"},
        headers=AGENT,
    )
    assert r.status_code == 200, r.text
    front_desk = r.json()["deadlines"]["front_desk"]
    assert front_desk["seconds_left"] == 4 * 3600 - 5 * 60 and front_desk["overdue"] is False
    clock.now = cn(9, 30, 14, 1)
    late = client.get(f"/api/orders/{tid}", headers=LEADER).json()["deadlines"]["front_desk"]
    assert late["overdue"] is True
    overdue = client.get("/api/orders", params={"overdue": True}, headers=LEADER).json()
    assert tid in [o["ticket_id"] for o in overdue]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"call_type": "emergency", "question": "楼道起火", "contact_number": "13800000032"}, 422),
        ({"call_type": "emergency", "question": "楼道起火", "location": "  "}, 422),
        ({"call_type": "emergency", "question": "楼道起火", "location": "锡林南路3号楼"}, 200),
    ],
)
def test_an_emergency_is_registered_with_its_location(
    client: TestClient, session_factory: sessionmaker[Session], body: dict, status: int
) -> None:
    tid = make_ticket(session_factory, "13800000032", 9, 30, 10)
    r = client.post(f"/api/orders/{tid}/registration", json=body, headers=AGENT)
    assert r.status_code == status, r.text
    if status == 422:
        assert "事发地点" in r.json()["error"]
