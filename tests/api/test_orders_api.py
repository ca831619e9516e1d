"""The work-order REST API end to end, on SQLite and PostgreSQL, with a frozen clock."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.domain import messages as msg
from crm.domain.redaction import CONFIDENTIAL_NOTE
from crm.models.workorders import AuditEntry, Unit
from tests.api.conftest import SERVICE_TOKEN, Clock, as_user
from tests.helpers import cn, new_ticket, seed
from tests.support.tokens import grant

AGENT, LEADER, BOSS = as_user("agent1"), as_user("shift1"), as_user("boss")


def make_ticket(
    factory: sessionmaker[Session], caller: str, month: int, day: int, hour: int
) -> int:
    with factory() as s:
        t = new_ticket(s, caller, cn(month, day, hour))
        s.commit()
        return t.id


def unit_id(factory: sessionmaker[Session], code: str) -> int:
    with factory() as s:
        return s.scalars(select(Unit.id).where(Unit.code == code)).one()


def test_help_request_through_the_api(
    client: TestClient, session_factory: sessionmaker[Session], clock: Clock
) -> None:
    tid = make_ticket(session_factory, "13812345678", 9, 30, 10)
    r = client.post(
        f"/api/orders/{tid}/registration",
        json={"call_type": "help", "question": "小区井盖丢失", "contact_number": "13812345678"},
        headers=AGENT,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["call_type_label"] == "求助"
    assert body["deadlines"]["reply"]["seconds_left"] == 24 * 3600 - 5 * 60
    assert body["deadlines"]["dispatch"]["overdue"] is False

    water = unit_id(session_factory, "city-water")
    r = client.post(f"/api/orders/{tid}/dispatch", json={"unit_id": water}, headers=LEADER)
    assert r.status_code == 200, r.text
    assert r.json()["work_orders"][0]["notes"][-3:] == list(msg.DISPATCH_NOTES)

    clock.now = cn(10, 1, 7)
    r = client.get(f"/api/orders/{tid}", headers=AGENT)
    assert r.json()["deadlines"]["unit_feedback"]["overdue"] is True
    overdue = client.get("/api/orders", params={"overdue": True}, headers=LEADER).json()
    assert [o["ticket_id"] for o in overdue] == [tid]

    steps = [
        ("unit-reply", {"content": "已补装井盖"}),
        ("answer", {"result": "已补装井盖，请放心"}),
        ("return-visit", {"satisfaction": 5, "resolved": True}),
        ("archive", None),
    ]
    for path, payload in steps:
        r = client.post(f"/api/orders/{tid}/{path}", json=payload, headers=LEADER)
        assert r.status_code == 200, (path, r.text)
    assert r.json()["status"] == "archived"

    audit = client.get(
        "/api/audit", params={"entity": "ticket", "entity_id": str(tid)}, headers=LEADER
    ).json()
    assert [(a["actor"], a["action"]) for a in reversed(audit)] == [
        ("agent1", "register"),
        ("shift1", "dispatch"),
        ("shift1", "unit_reply"),
        ("shift1", "answer_caller"),
        ("shift1", "return_visit"),
        ("shift1", "archive"),
    ]


def test_errors_are_json_with_a_message(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    tid = make_ticket(session_factory, "13800000001", 9, 30, 10)
    r = client.post(f"/api/orders/{tid}/archive", headers=AGENT)
    assert r.status_code == 409 and r.json()["rule"] == "not_registered"
    r = client.post(f"/api/orders/{tid}/registration", json={"call_type": "help"}, headers=AGENT)
    assert r.status_code == 422 and "question" in r.json()["error"]
    r = client.get("/api/orders/999999", headers=AGENT)
    assert r.status_code == 404 and "不存在" in r.json()["error"]
    r = client.get(f"/api/orders/{tid}")
    assert r.status_code == 401 and "令牌" in r.json()["error"]
    # A header naming a user is never believed: anyone could write any name into it.
    r = client.get(f"/api/orders/{tid}", headers={"X-Hotline-User": "agent1"})
    assert r.status_code == 401
    r = client.get(f"/api/orders/{tid}", headers=as_user("nobody"))
    assert r.status_code == 401 and "令牌无效" in r.json()["error"]
    client.post(
        f"/api/orders/{tid}/registration",
        json={"call_type": "help", "question": "x", "contact_number": "13800000001"},
        headers=AGENT,
    )
    water = unit_id(session_factory, "city-water")
    r = client.post(f"/api/orders/{tid}/dispatch", json={"unit_id": water}, headers=AGENT)
    assert r.status_code == 403 and "值班长" in r.json()["error"]
    backwards = {"start": "2026-10-02", "end": "2026-10-01"}
    r = client.get("/api/ledger", params=backwards, headers=AGENT)
    assert r.status_code == 403 and r.json()["route"] == "GET /api/ledger"
    r = client.get("/api/ledger", params=backwards, headers=LEADER)
    assert r.status_code == 422 and "结束日期" in r.json()["error"]


def test_report_visible_to_leader_and_reviewer_only_and_reads_audited(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    tid = make_ticket(session_factory, "13800000002", 9, 30, 10)
    r = client.post(
        f"/api/orders/{tid}/registration",
        json={
            "call_type": "report",
            "question": "某科长收受红包",
            "contact_number": "13800000002",
            "target": "某科长",
            "assigned_reviewer": "li",
        },
        headers=AGENT,
    )
    assert r.status_code == 200
    assert client.get(f"/api/orders/{tid}", headers=as_user("zhao")).status_code == 403
    assert client.get(f"/api/orders/{tid}", headers=as_user("li")).status_code == 200
    opened = client.get(f"/api/orders/{tid}", headers=BOSS)
    assert opened.status_code == 200 and opened.json()["question"] == "某科长收受红包"
    assert tid not in [o["ticket_id"] for o in client.get("/api/orders", headers=LEADER).json()]
    for _ in range(3):  # a list shows the report sealed, and is not a read of it
        listed = {o["ticket_id"]: o for o in client.get("/api/orders", headers=BOSS).json()}
    assert listed[tid]["question"] == CONFIDENTIAL_NOTE and listed[tid]["target"] != "某科长"
    assert listed[tid]["caller_number"] == "13800000002"
    alerts = client.get("/api/alerts", headers=BOSS).json()
    assert any(a["ticket_id"] == tid for a in alerts)
    with session_factory() as s:
        reads = s.scalars(
            select(AuditEntry.actor).where(
                AuditEntry.entity_id == str(tid),
                AuditEntry.action.in_(["read_confidential", "read_denied"]),
            )
        ).all()
    assert sorted(reads) == ["boss", "li", "zhao"]  # one row per opening, none per list


def test_chase_then_redispatch(
    client: TestClient, session_factory: sessionmaker[Session], clock: Clock
) -> None:
    first = make_ticket(session_factory, "13800000003", 9, 30, 10)
    client.post(
        f"/api/orders/{first}/registration",
        json={"call_type": "help", "question": "停水", "contact_number": "13800000003"},
        headers=AGENT,
    )
    water = unit_id(session_factory, "city-water")
    client.post(f"/api/orders/{first}/dispatch", json={"unit_id": water}, headers=LEADER)

    clock.now = cn(10, 1, 9)
    chase = make_ticket(session_factory, "13800000003", 10, 1, 9)
    r = client.post(f"/api/orders/{chase}/repeat", json={}, headers=AGENT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kind"] == "chase" and not body["dispatched"]
    assert body["order"]["call_type"] == "invalid" and body["order"]["status"] == "archived"
    assert body["notes"][0].startswith("催单：定单")

    clock.now = cn(10, 1, 11)
    again = make_ticket(session_factory, "13800000003", 10, 1, 11)
    r = client.post(
        f"/api/orders/{again}/repeat", json={"previous_ticket_id": first}, headers=LEADER
    )
    body = r.json()
    assert body["kind"] == "redispatch" and body["dispatched"]
    assert body["order"]["previous_ticket_id"] == first
    assert body["order"]["work_orders"][0]["notes"][-3:] == list(msg.DISPATCH_NOTES)


def test_emergency_endpoint_archives_and_alerts(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    tid = make_ticket(session_factory, "13800000004", 9, 30, 10)
    r = client.post(f"/api/orders/{tid}/emergency", json={"location": "人民广场"}, headers=AGENT)
    assert r.status_code == 200 and r.json()["status"] == "archived"
    alerts = [a for a in client.get("/api/alerts", headers=BOSS).json() if a["ticket_id"] == tid]
    assert len(alerts) == 1
    assert client.post(f"/api/alerts/{alerts[0]['id']}/ack", headers=LEADER).status_code == 403
    assert client.post(f"/api/alerts/{alerts[0]['id']}/ack", headers=BOSS).status_code == 200
    assert not [a for a in client.get("/api/alerts", headers=BOSS).json() if a["ticket_id"] == tid]


def test_knowledge_base_search_answer_and_admin_edit(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    hits = client.get("/api/kb/search", params={"q": "身份证"}, headers=AGENT).json()
    assert hits[0]["article"]["title"] == "补办身份证需要什么材料"
    tid = make_ticket(session_factory, "13800000005", 9, 30, 10)
    client.post(
        f"/api/orders/{tid}/registration",
        json={"call_type": "consultation", "question": "补办身份证要带什么"},
        headers=AGENT,
    )
    r = client.post(
        f"/api/orders/{tid}/kb-answer", json={"article_id": hits[0]["article"]["id"]}, headers=AGENT
    )
    assert r.status_code == 200 and r.json()["status"] == "answered"

    article = {
        "slug": "dog",
        "title": "养犬登记",
        "body": "携带犬只免疫证明办理",
        "category": "其他",
    }
    assert client.post("/api/kb/articles", json=article, headers=AGENT).status_code == 403
    r = client.post("/api/kb/articles", json=article, headers=as_user("admin"))
    assert r.status_code == 201 and r.json()["updated_by"] == "admin"
    assert client.get("/api/kb/search", params={"q": "养犬登记"}, headers=AGENT).json()


def test_directories_and_special_line_suggestion(client: TestClient) -> None:
    lines = client.get("/api/special-lines", headers=AGENT).json()
    assert len(lines) == 15
    suggested = client.get(
        "/api/special-lines/suggest", params={"text": "饭店油烟扰民"}, headers=AGENT
    ).json()
    assert suggested[0]["number"] == "12369"
    line = {**lines[0], "name": "消费者权益保护"}
    r = client.put(f"/api/special-lines/{line['id']}", json=line, headers=as_user("admin"))
    assert r.status_code == 200 and r.json()["name"] == "消费者权益保护"
    units = client.get("/api/units", headers=AGENT).json()
    assert {"市住房和城乡建设局", "中国工商银行市分行"} <= {u["name"] for u in units}
    audit = client.get("/api/audit", params={"entity": "special_line"}, headers=BOSS).json()
    assert audit[0]["actor"] == "admin" and audit[0]["detail"]["changed"] == {
        "name": "消费者权益保护"
    }


def test_ledger_export_and_figures(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    tid = make_ticket(session_factory, "13800000006", 9, 30, 10)
    client.post(
        f"/api/orders/{tid}/registration",
        json={"call_type": "consultation", "question": "公积金提取条件"},
        headers=AGENT,
    )
    span = {"start": "2026-09-30", "end": "2026-09-30"}
    r = client.get("/api/ledger", params={**span, "format": "csv"}, headers=LEADER)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "序号" and rows[1][6] == "公积金提取条件"
    r = client.get("/api/ledger", params={**span, "format": "xlsx"}, headers=LEADER)
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None and sheet.cell(2, 7).value == "公积金提取条件"
    figs = client.get("/api/figures", params={**span, "by": "type"}, headers=LEADER).json()
    assert figs[0]["key"] == "consultation" and figs[0]["tickets"] == 1


def test_openapi_lists_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/orders/{ticket_id}/dispatch" in paths and "/api/kb/search" in paths


def test_mounts_into_the_crm_app(
    db_url: str, tmp_path: object, clock: Clock, session_factory: sessionmaker[Session]
) -> None:
    """create_app plus include_api: one app, one error format."""
    from crm.app import create_app, include_api
    from hotline.settings import Settings

    settings = Settings(database_url=db_url, var_dir=tmp_path, crm_ingest_token=SERVICE_TOKEN)
    app = create_app(settings, connect_ami=False)
    routes = len(app.routes)
    include_api(app)  # create_app already did: nothing is added twice
    assert len(app.routes) == routes
    app.state.clock = clock
    with session_factory() as s:
        seed(s)
    grant(session_factory, "agent1")
    with TestClient(app) as c:
        r = c.get("/api/units", headers=as_user("ghost"))
        assert r.status_code == 401 and r.json()["error"] == "API 令牌无效"
        assert len(c.get("/api/units", headers=AGENT).json()) >= 10
        r = c.post("/api/orders/1/registration", json={}, headers=AGENT)
        assert r.status_code == 422 and r.json()["error"].startswith("请求内容不正确")
        assert "/api/orders/{ticket_id}" in c.get("/openapi.json").json()["paths"]


def test_hand_over_and_complaint_units_endpoints(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    tid = make_ticket(session_factory, "13800000007", 9, 30, 10)
    client.post(
        f"/api/orders/{tid}/registration",
        json={
            "call_type": "complaint",
            "question": "窗口推诿",
            "contact_number": "13800000007",
            "target": "窗口工作人员",
            "body_unit_id": unit_id(session_factory, "xc-housing"),
        },
        headers=AGENT,
    )
    r = client.get(f"/api/orders/{tid}/complaint-units", params={"escalate": True}, headers=LEADER)
    assert [u["name"] for u in r.json()] == ["市住房和城乡建设局"]
    r = client.post(
        f"/api/orders/{tid}/hand-over",
        json={"to_username": "shift1", "note": "来电人要求值班长处理"},
        headers=AGENT,
    )
    assert r.status_code == 200 and r.json()["taken_by"] == "shift1"
