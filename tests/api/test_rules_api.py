"""The rules of issue 13 through the API, on SQLite and PostgreSQL, with a frozen clock."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.api.conftest import as_user
from tests.api.test_orders_api import make_ticket

AGENT, LEADER = as_user("agent1"), as_user("shift1")


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
