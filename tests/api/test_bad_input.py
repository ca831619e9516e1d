"""Bad input is refused at the edge (422, or 409 for a duplicate) with a Chinese message, on
SQLite and PostgreSQL alike: never a 500, never silently taken for something else."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from callmodel.events import CallEvent
from tests.api.conftest import as_user
from tests.api.test_orders_api import make_ticket

AGENT, ADMIN = as_user("agent1"), as_user("admin")
HUGE_ID = 2**63


def refused(response: Any, status: int = 422) -> str:
    assert response.status_code == status, response.text
    message: str = response.json()["error"]
    assert message and any("\u4e00" <= c <= "\u9fff" for c in message)
    return message


@pytest.mark.parametrize(
    "change",
    [
        {"question": ""},
        {"question": "   "},
        {"question": "问" * 200_000},
        {"contact_number": "abc"},
        {"contact_number": "1" * 10_000},
        {"special_line_number": "abc12"},
        {"body_unit_id": HUGE_ID},
        {"question": "有\x00空字符"},
    ],
)
def test_a_registration_with_bad_values_is_refused(
    client: TestClient, session_factory: sessionmaker[Session], change: dict[str, Any]
) -> None:
    tid = make_ticket(session_factory, "13812345678", 9, 30, 10)
    body = {"call_type": "help", "question": "井盖丢失", "contact_number": "13812345678"}
    refused(client.post(f"/api/orders/{tid}/registration", json={**body, **change}, headers=AGENT))
    order = client.get(f"/api/orders/{tid}", headers=AGENT)
    assert order.status_code == 409 and "未登记" in order.text or order.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        f"/api/orders/{HUGE_ID}",
        f"/api/kb/articles/{HUGE_ID}",
        "/api/orders/-1",
        f"/api/orders?limit={HUGE_ID}",
    ],
)
def test_ids_beyond_a_64_bit_column_are_refused(client: TestClient, path: str) -> None:
    assert client.get(path, headers=AGENT).status_code in (404, 422)


@pytest.mark.parametrize("route", ["/api/ledger", "/api/figures"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_days_outside_the_century_are_refused(client: TestClient, route: str, day: str) -> None:
    message = refused(client.get(route, params={"start": "2026-01-01", "end": day}, headers=ADMIN))
    assert "end" in message


@pytest.mark.parametrize(
    "user",
    [
        {"username": "new1", "display_name": "新人", "roles": []},
        {"username": "   ", "display_name": "新人", "roles": ["agent"]},
        {"username": "new1", "display_name": "新人", "roles": ["overlord"]},
    ],
)
def test_a_user_without_roles_a_name_or_with_an_unknown_role_is_refused(
    client: TestClient, user: dict[str, Any]
) -> None:
    refused(client.post("/api/users", json=user, headers=ADMIN))


def test_duplicates_are_a_conflict_in_chinese(client: TestClient) -> None:
    user = {"username": "agent1", "display_name": "冒名", "roles": ["admin"]}
    assert "工号" in refused(client.post("/api/users", json=user, headers=ADMIN), 409)
    line = {"number": "96199", "name": "测试专线"}
    assert client.post("/api/special-lines", json=line, headers=ADMIN).status_code == 201
    again = client.post("/api/special-lines", json=line, headers=ADMIN)
    assert "专线号码" in refused(again, 409)
    unit = {"code": "dup-unit", "name": "重复单位"}
    assert client.post("/api/units", json=unit, headers=ADMIN).status_code == 201
    same_code = client.post("/api/units", json={**unit, "name": "另一单位"}, headers=ADMIN)
    assert "单位编码" in refused(same_code, 409)


def test_a_reference_to_a_unit_that_does_not_exist_is_refused(client: TestClient) -> None:
    user = {"username": "new2", "display_name": "新人", "roles": ["unit"], "unit_id": 999_999}
    refused(client.post("/api/users", json=user, headers=ADMIN))


def test_letters_as_a_special_line_number_are_refused(client: TestClient) -> None:
    refused(client.post("/api/special-lines", json={"number": "abcde", "name": "x"}, headers=ADMIN))


def test_a_call_event_dated_year_one_is_refused() -> None:
    event = {
        "kind": "call_started",
        "event_id": "e1",
        "uniqueid": "1764300000.1",
        "occurred_at": "0001-01-01T00:00:00Z",
    }
    with pytest.raises(ValidationError, match="2000"):
        TypeAdapter(CallEvent).validate_python(event)
    TypeAdapter(CallEvent).validate_python({**event, "occurred_at": "2026-12-01T08:00:00Z"})


def test_an_emergency_is_recorded_only_with_its_location(
    client: TestClient, session_factory
) -> None:
    tid = make_ticket(session_factory, "13800000041", 9, 30, 10)
    refused = client.post(f"/api/orders/{tid}/emergency", json={}, headers=AGENT)
    assert refused.status_code == 422 and refused.json()["error"]
    done = client.post(f"/api/orders/{tid}/emergency", json={"location": "人民广场"}, headers=AGENT)
    assert done.status_code == 200, done.text
