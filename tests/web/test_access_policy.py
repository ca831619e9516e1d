"""Who may do what, through the real application with real accounts and session cookies (no
Asterisk: AMI is a stand-in that accepts every action)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from asr.transcript import Speaker, Transcript
from callmodel.calltypes import CallType
from crm import db
from crm.accounts.services import set_account
from crm.app import create_app
from crm.directory.services import seed_units
from crm.domain.access import Role, Viewer
from crm.models import AuditEntry, Call
from crm.models.workorders import StaffUser, TicketDetail
from crm.orders import services as orders
from crm.security import COOKIE
from hotline.settings import load_settings
from tests.helpers import new_ticket
from tests.support.tokens import as_user, grant
from tests.unit.test_transcript_api import line

PASSWORD = "correct horse battery"
OWN, OTHER = "8001", "8002"
# username: (roles, desk extension)
ACCOUNTS: dict[str, tuple[list[Role], str | None]] = {
    "agent1": ([Role.AGENT], OWN),
    "agent2": ([Role.AGENT], OTHER),
    "shift1": ([Role.SHIFT_LEADER], None),
    "hl1": ([Role.HOTLINE_LEADER], None),
    "admin1": ([Role.ADMIN], None),
    "unit1": ([Role.UNIT], None),
    "qc1": ([Role.SUPERVISOR], None),
    "qc2": ([Role.SUPERVISOR], "8003"),  # a supervisor's desk phone is not an agent's desk
    "rev1": ([Role.REVIEWER], None),
    "rev2": ([Role.REVIEWER], None),
    "lead2": ([Role.SHIFT_LEADER, Role.HOTLINE_LEADER], None),
}


async def accept(message: dict[str, str]) -> dict[str, Any]:
    """AMI's answer to every action here, so queue moves succeed without Asterisk."""
    return {"Response": "Success"}


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("HOTLINE_CONFIG", str(tmp_path / "none.yaml"))
    settings = load_settings(var_dir=tmp_path).model_copy(
        update={"crm_ingest_token": "access-test-token"}
    )
    application = create_app(settings, connect_ami=False)
    with TestClient(application, base_url="http://testserver") as client:
        monkeypatch.setattr(application.state.agents.ami, "action", accept)
        with db.transaction(application.state.sessions) as session:
            for name, (roles, extension) in ACCOUNTS.items():
                set_account(session, name, PASSWORD, roles, display_name=name, extension=extension)
        yield client


def sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    response = client.post(
        "/web/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def service_headers(client: TestClient) -> dict[str, str]:
    """The FastAGI server's token (call events only)."""
    return {"Authorization": f"Bearer {client.app.state.service_token}"}


def token(client: TestClient, username: str) -> dict[str, str]:
    """A personal API token of ``username``, granted now."""
    grant(client.app.state.sessions, username)
    return as_user(username)


# --- agents act for themselves ---------------------------------------------------------------

MOVES = [("login", {}), ("pause", {"reason": "小休"}), ("ready", None), ("logout", None)]
MAY_ACT_FOR_OTHERS = ["shift1", "hl1", "admin1"]
NEVER = ["unit1", "qc1", "qc2", "rev1"]


def move_all(client: TestClient, extension: str, **kwargs: Any) -> list[tuple[str, int, Any]]:
    out = []
    for path, body in MOVES:
        response = client.post(f"/api/agents/{extension}/{path}", json=body, **kwargs)
        out.append((path, response.status_code, response.json()))
    return out


def test_an_agent_moves_their_own_extension_only(app: TestClient) -> None:
    sign_in(app, "agent1")
    assert [(p, code) for p, code, _ in move_all(app, OWN)] == [(p, 200) for p, _ in MOVES]
    for path, code, body in move_all(app, OTHER):
        assert code == 403, path
        assert "本人分机" in body["error"]
    states = {a["extension"]: a for a in app.get("/api/agents").json()}
    assert states[OTHER]["signed_in"] is False


@pytest.mark.parametrize("username", MAY_ACT_FOR_OTHERS)
def test_leaders_and_admins_move_any_agent(app: TestClient, username: str) -> None:
    sign_in(app, username)
    for extension in (OWN, OTHER):
        assert [(p, c) for p, c, _ in move_all(app, extension)] == [(p, 200) for p, _ in MOVES]


@pytest.mark.parametrize("username", NEVER)
def test_other_roles_move_no_agent(app: TestClient, username: str) -> None:
    sign_in(app, "agent1")
    app.post(f"/api/agents/{OWN}/login", json={})
    sign_in(app, username)
    for extension in (OWN, OTHER, "8003"):
        for path, code, body in move_all(app, extension):
            assert code == 403, (extension, path)
            assert "本人分机" in body["error"]
    # The agent signed in above is still signed in, not paused.
    states = {a["extension"]: a for a in app.get("/api/agents").json()}
    assert states[OWN]["signed_in"] is True and states[OWN]["paused"] is False


def test_a_personal_token_moves_agents_as_its_user(app: TestClient) -> None:
    app.cookies.clear()
    leader, agent = token(app, "shift1"), token(app, "agent1")
    for extension in (OWN, OTHER):
        moves = move_all(app, extension, headers=leader)
        assert [(p, c) for p, c, _ in moves] == [(p, 200) for p, _ in MOVES]
    assert [c for _, c, _ in move_all(app, OWN, headers=agent)] == [200] * len(MOVES)
    assert [c for _, c, _ in move_all(app, OTHER, headers=agent)] == [403] * len(MOVES)
    # The FastAGI server's token moves nobody.
    assert [c for _, c, _ in move_all(app, OWN, headers=service_headers(app))] == [403] * 4


def test_moves_need_credentials_and_our_own_pages(app: TestClient) -> None:
    app.cookies.clear()
    assert app.post(f"/api/agents/{OWN}/login", json={}).status_code == 401
    sign_in(app, "agent1")
    foreign = app.post(f"/api/agents/{OWN}/logout", headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and foreign.json()["error"]


def test_the_console_moves_the_agents_own_extension_only(app: TestClient) -> None:
    sign_in(app, "agent1")
    ours = {"Origin": "http://testserver"}
    assert app.post("/web/api/agent/sign-in", json={}, headers=ours).status_code == 200
    assert app.post("/web/api/agent/pause", json={"paused": True}, headers=ours).status_code == 200
    states = {a["extension"]: a for a in app.get("/api/agents").json()}
    assert states[OWN]["signed_in"] and states[OWN]["paused"] and not states[OTHER]["signed_in"]
    for username in NEVER:
        sign_in(app, username)
        response = app.post("/web/api/agent/sign-out", headers=ours)
        assert response.status_code == 403 and response.json()["error"], username


# --- 举报 stays confidential on the call routes ------------------------------------------------

REPORTER, CITIZEN = "13900001111", "13800002222"
MASKED_REPORTER = "139****1111"
SECRET = "某局长收受礼金"
NOT_READERS = ["agent1", "shift1", "rev2", "qc1", "unit1", "admin1"]
READERS = ["hl1", "rev1"]
# A member unit reads only its own unit's orders (the same rule), so not the consultation either.
SEES_PLAIN = {name: name != "unit1" for name in NOT_READERS + READERS}


@dataclass
class Calls:
    report_id: int
    report_uid: str
    plain_uid: str


def said(*words: str) -> Transcript:
    return Transcript(
        lines=(line(Speaker.CALLER, list(words), 0.5),),
        leg_seconds={Speaker.CALLER: 5.0, Speaker.AGENT: 5.0},
        engine="stand-in",
        decode_seconds=0.1,
    )


@pytest.fixture
def calls(app: TestClient) -> Calls:
    """A report (assigned to rev1) and an ordinary consultation, each with a call and a
    transcript that both mention 局长."""
    state = app.app.state
    agent = Viewer("agent1", frozenset({Role.AGENT}))
    with db.transaction(state.sessions) as session:
        report = new_ticket(session, REPORTER, datetime.now(UTC))
        orders.register_ticket(
            session,
            report.id,
            orders.RegistrationForm(
                CallType.REPORT, SECRET, contact_number=REPORTER, target="某局长",
                assigned_reviewer="rev1",
            ),
            agent,
        )  # fmt: skip
        plain = new_ticket(session, CITIZEN, datetime.now(UTC))
        orders.register_ticket(
            session, plain.id, orders.RegistrationForm(CallType.CONSULTATION, "局长信箱在哪"), agent
        )
        found = Calls(report.id, report.call.uniqueid, plain.call.uniqueid)
        numbers = {found.report_uid: report.number, found.plain_uid: plain.number}
    queue = state.transcriptions
    for uid, words in (
        (found.report_uid, ["局长", "收受", "礼金"]),
        (found.plain_uid, ["局长", "信箱"]),
    ):
        job_id = queue.enqueue(f"/rec/{uid}.wav", call_uniqueid=uid, ticket_ref=numbers[uid])
        assert queue.claim("w") and queue.complete(job_id, "w", said(*words))
    return found


def audit_rows(app: TestClient, *actions: str) -> list[AuditEntry]:
    with app.app.state.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action.in_(actions))))


@pytest.mark.parametrize("username", NOT_READERS)
def test_a_reports_call_is_left_out_of_the_call_list(
    app: TestClient, calls: Calls, username: str
) -> None:
    sign_in(app, username)
    listed = app.get("/api/calls")
    assert listed.status_code == 200
    assert (calls.plain_uid in [c["uniqueid"] for c in listed.json()]) is SEES_PLAIN[username]
    assert calls.report_uid not in listed.text and REPORTER not in listed.text
    assert "report" not in listed.text and SECRET not in listed.text
    # Nor can a number be tested for a report.
    assert app.get("/api/calls", params={"caller": REPORTER}).json() == []


@pytest.mark.parametrize("username", NOT_READERS)
def test_a_reports_call_and_transcript_are_refused(
    app: TestClient, calls: Calls, username: str
) -> None:
    sign_in(app, username)
    for path in (f"/api/calls/{calls.report_uid}", f"/api/calls/{calls.report_uid}/transcript"):
        refused = app.get(path)
        assert refused.status_code == 403, path
        assert "举报件" in refused.json()["error"]
        assert REPORTER not in refused.text and "收受" not in refused.text
    denied = audit_rows(app, "read_denied")
    assert [(a.actor, a.entity_id) for a in denied] == [(username, str(calls.report_id))] * 2
    plain = 200 if SEES_PLAIN[username] else 403
    assert app.get(f"/api/calls/{calls.plain_uid}").status_code == plain
    assert app.get(f"/api/calls/{calls.plain_uid}/transcript").status_code == plain


@pytest.mark.parametrize("username", NOT_READERS)
def test_transcript_search_leaves_a_report_out(
    app: TestClient, calls: Calls, username: str
) -> None:
    sign_in(app, username)
    found = app.get("/api/transcripts", params={"q": "局长"})
    assert [f["uniqueid"] for f in found.json()] == [calls.plain_uid][: SEES_PLAIN[username]]
    assert "收受" not in found.text
    assert app.get("/api/transcripts", params={"q": "礼金"}).json() == []


@pytest.mark.parametrize("username", READERS)
def test_a_reports_readers_see_it_and_each_detail_read_is_audited_once(
    app: TestClient, calls: Calls, username: str
) -> None:
    sign_in(app, username)
    for _ in range(3):
        listed = app.get("/api/calls").json()
    mine = next(c for c in listed if c["uniqueid"] == calls.report_uid)
    assert mine["caller_number"] == REPORTER and mine["ticket"]["call_type"] == "report"
    assert audit_rows(app, "read_confidential") == []  # lists are not audited per row
    call = app.get(f"/api/calls/{calls.report_uid}")
    assert call.status_code == 200 and call.json()["caller_number"] == REPORTER
    transcript = app.get(f"/api/calls/{calls.report_uid}/transcript")
    assert transcript.status_code == 200 and "收受" in transcript.json()["text"]
    rows = audit_rows(app, "read_confidential")
    assert [(a.actor, a.entity_id, a.detail["surface"]) for a in rows] == [
        (username, str(calls.report_id), "call"),
        (username, str(calls.report_id), "transcript"),
    ]
    found = app.get("/api/transcripts", params={"q": "局长"}).json()
    assert {f["uniqueid"] for f in found} == {calls.report_uid, calls.plain_uid}
    [search] = audit_rows(app, "search_confidential")
    assert search.actor == username and len(search.detail["tickets"]) == 1


def test_a_supervisor_sees_a_readable_call_masked(app: TestClient, calls: Calls) -> None:
    sign_in(app, "qc1")
    assert app.get(f"/api/calls/{calls.plain_uid}").json()["caller_number"] == "138****2222"


def repeat_ticket(app: TestClient) -> int:
    with db.transaction(app.app.state.sessions) as session:
        return new_ticket(session, REPORTER, datetime.now(UTC)).id


def test_a_repeat_call_about_a_report_is_refused_to_those_who_may_not_read_it(
    app: TestClient, calls: Calls
) -> None:
    again = repeat_ticket(app)
    sign_in(app, "agent1")
    for previous in (calls.report_id, None):  # named, or found from the caller's number
        refused = app.post(f"/api/orders/{again}/repeat", json={"previous_ticket_id": previous})
        assert refused.status_code == 403 and "举报件" in refused.json()["error"]
        assert REPORTER not in refused.text and SECRET not in refused.text
    app.cookies.clear()
    refused = app.post(f"/api/orders/{again}/repeat", json={}, headers=token(app, "shift1"))
    assert refused.status_code == 403 and SECRET not in refused.text
    assert len(audit_rows(app, "read_denied")) == 3
    with app.app.state.sessions() as session:
        assert session.get(TicketDetail, again) is None  # nothing of the report was copied


def test_a_reports_reader_handles_its_repeat_call(app: TestClient, calls: Calls) -> None:
    again = repeat_ticket(app)
    sign_in(app, "lead2")  # shift leader and hotline leader
    done = app.post(f"/api/orders/{again}/repeat", json={"previous_ticket_id": calls.report_id})
    assert done.status_code == 200, done.text
    assert [a.actor for a in audit_rows(app, "read_confidential")] == ["lead2"]


def test_a_report_cannot_be_re_typed_by_who_may_not_read_it(app: TestClient, calls: Calls) -> None:
    ours = {"Origin": "http://testserver"}
    retype = {"call_type": "consultation", "question": "问个路"}
    sign_in(app, "agent1")
    refused = app.post(f"/web/api/tickets/{calls.report_id}/register", json=retype, headers=ours)
    assert refused.status_code == 403 and "举报件" in refused.json()["error"]
    refused = app.post(f"/api/orders/{calls.report_id}/registration", json=retype)
    assert refused.status_code == 403
    with app.app.state.sessions() as session:
        detail = session.get(TicketDetail, calls.report_id)
        assert detail.call_type == "report" and detail.question == SECRET and detail.confidential
    assert len(audit_rows(app, "register_denied")) == 2


# --- the page header and the security headers -------------------------------------------------

EVIL = "</script><script>alert(1)</script>"
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)


def test_a_display_name_with_markup_renders_as_text(app: TestClient) -> None:
    with db.transaction(app.app.state.sessions) as session:
        set_account(session, "evil", PASSWORD, [Role.AGENT], display_name=EVIL, extension="8009")
    sign_in(app, "evil")
    page = app.get("/web/agent")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the header's name
    scripts = SCRIPT_TAG.findall(html)
    # No inline script: files of our own, and one JSON block that app.js parses.
    inline = [(attrs, body) for attrs, body in scripts if "src=" not in attrs]
    assert [attrs.strip() for attrs, _ in inline] == ['type="application/json" id="page-data"']
    data = json.loads(inline[0][1])
    assert data["ME"]["display_name"] == EVIL and data["T"]
    assert all(a.split('src="')[1].startswith("/web/static/") for a, _ in scripts if "src=" in a)


@pytest.mark.parametrize(
    "path", ["/web/login", "/web/agent", "/api/calls", "/web/static/app.js", "/api/nothing"]
)
def test_every_answer_carries_the_security_headers(app: TestClient, path: str) -> None:
    app.cookies.clear()
    answers = [app.get(path, follow_redirects=False)]
    sign_in(app, "agent1")
    answers.append(app.get(path, follow_redirects=False))
    for response in answers:
        csp = dict(
            d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";")
        )
        assert csp["script-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
        assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


# --- sessions end at sign-out; accounts are created, never overwritten -----------------------


def test_sign_out_ends_the_session_on_the_server(app: TestClient) -> None:
    sign_in(app, "agent1")
    cookie = app.cookies.get(COOKIE)
    assert app.get("/api/calls").status_code == 200
    out = app.post("/web/logout", headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert out.status_code == 303
    app.cookies.clear()
    app.cookies.set(COOKIE, cookie)  # the old cookie, replayed
    replayed = app.get("/api/calls")
    assert replayed.status_code == 401 and replayed.json()["error"]
    assert app.get("/web/agent", follow_redirects=False).status_code == 303
    assert [a.actor for a in audit_rows(app, "web_logout")] == ["agent1"]
    sign_in(app, "agent1")  # signing in again works
    assert app.get("/api/calls").status_code == 200


def test_creating_an_existing_user_is_refused(app: TestClient) -> None:
    sign_in(app, "admin1")
    ours = {"Origin": "http://testserver"}
    takeover = {
        "username": "hl1",
        "display_name": "冒名",
        "password": "another long password",
        "roles": ["admin"],
    }
    for username in ("hl1", " hl1 ", "admin1"):
        refused = app.post(
            "/web/api/admin/users", json={**takeover, "username": username}, headers=ours
        )
        assert refused.status_code == 409, refused.text
        assert "已存在" in refused.json()["error"]
    sign_in(app, "hl1")  # the old password still works, the roles are unchanged
    with app.app.state.sessions() as session:
        user = session.scalars(select(StaffUser).where(StaffUser.username == "hl1")).one()
        assert user.roles == ["hotline_leader"] and user.display_name == "hl1"
    sign_in(app, "admin1")
    created = app.post("/web/api/admin/users", json={**takeover, "username": "new1"}, headers=ours)
    assert created.status_code == 200, created.text


# --- the order routes mask numbers by the same rule -------------------------------------------


@pytest.mark.parametrize("username", READERS)
def test_a_reports_readers_get_the_reporters_number(
    app: TestClient, calls: Calls, username: str
) -> None:
    sign_in(app, username)
    order = app.get(f"/api/orders/{calls.report_id}").json()
    assert order["caller_number"] == REPORTER and order["contact_number"] == REPORTER


@pytest.mark.parametrize(
    ("username", "full"), [("agent1", True), ("qc1", False), ("admin1", False)]
)
def test_an_orders_numbers_are_masked_for_roles_that_do_not_handle_callers(
    app: TestClient, username: str, full: bool
) -> None:
    with db.transaction(app.app.state.sessions) as session:
        ticket = new_ticket(session, CITIZEN, datetime.now(UTC))
        form = orders.RegistrationForm(
            CallType.HELP, "井盖丢失", contact_number=CITIZEN, location="幸福路"
        )
        orders.register_ticket(session, ticket.id, form, Viewer("agent1", frozenset({Role.AGENT})))
        ticket_id = ticket.id
    sign_in(app, username)
    order = app.get(f"/api/orders/{ticket_id}")
    assert order.status_code == 200, order.text
    shown = CITIZEN if full else "138****2222"
    assert (order.json()["caller_number"], order.json()["contact_number"]) == (shown, shown)
    assert full or CITIZEN not in order.text


def test_a_report_is_assigned_only_to_an_active_reviewer(app: TestClient) -> None:
    with db.transaction(app.app.state.sessions) as session:
        ticket_id = new_ticket(session, REPORTER, datetime.now(UTC)).id
    report = {"call_type": "report", "question": SECRET, "contact_number": REPORTER}
    report["target"] = "某局长"
    sign_in(app, "agent1")
    for wrong in ("agent1", "qc1", "nobody", "hl1"):
        refused = app.post(
            f"/api/orders/{ticket_id}/registration", json={**report, "assigned_reviewer": wrong}
        )
        assert refused.status_code == 422, (wrong, refused.text)
        assert "审核人员" in refused.json()["error"]
    with app.app.state.sessions() as session:
        assert session.get(TicketDetail, ticket_id) is None
    done = app.post(
        f"/api/orders/{ticket_id}/registration", json={**report, "assigned_reviewer": "rev1"}
    )
    assert done.status_code == 200, done.text
    sign_in(app, "rev1")
    assert app.get(f"/api/orders/{ticket_id}").status_code == 200


def test_a_cookie_authenticated_change_from_another_site_is_refused(
    app: TestClient, calls: Calls
) -> None:
    again = repeat_ticket(app)
    evil = {"Origin": "http://evil.example"}
    sign_in(app, "lead2")
    for path in (f"/api/orders/{again}/repeat", f"/api/orders/{again}/archive"):
        refused = app.post(path, json={}, headers=evil)
        assert refused.status_code == 403 and refused.json()["error"], path
    assert app.post(f"/api/agents/{OWN}/logout", headers=evil).status_code == 403
    with app.app.state.sessions() as session:
        assert session.get(TicketDetail, again) is None
    assert app.get("/api/calls", headers=evil).status_code == 200  # reading changes nothing
    # Our own pages, or a client that sends no Origin, may; so may a personal token.
    assert (
        app.post(
            f"/api/agents/{OWN}/login", json={}, headers={"Origin": "http://testserver"}
        ).status_code
        == 200
    )
    assert app.post(f"/api/agents/{OWN}/logout").status_code == 200
    app.cookies.clear()
    assert (
        app.post(
            f"/api/agents/{OWN}/login", json={}, headers={**evil, **token(app, "agent1")}
        ).status_code
        == 200
    )


# --- a report in lists, its recipient, and the audit of its reads ------------------------------


def units_by_name(app: TestClient) -> dict[str, dict[str, Any]]:
    """The site's units (config/units.yaml), as the leader console's picker gets them."""
    with db.transaction(app.app.state.sessions) as session:
        seed_units(session)
    return {u["name"]: u for u in app.get("/web/api/units").json()}


def test_a_report_goes_only_to_a_discipline_or_judicial_body(app: TestClient, calls: Calls) -> None:
    sign_in(app, "hl1")
    units = units_by_name(app)
    assert units["市纪委监委效能监察室"]["reports"] and not units["市住房和城乡建设局"]["reports"]
    path = f"/web/api/leader/orders/{calls.report_id}/dispatch"
    refused = app.post(path, json={"unit_id": units["市住房和城乡建设局"]["id"]})
    assert refused.status_code == 409 and "纪检监察或司法" in refused.json()["error"]
    assert app.get(f"/api/orders/{calls.report_id}").json()["status"] == "registered"
    done = app.post(path, json={"unit_id": units["市纪委监委效能监察室"]["id"]})
    assert done.status_code == 200, done.text


@pytest.mark.parametrize("username", READERS)
def test_a_report_is_listed_sealed_and_opening_it_is_the_one_audited_read(
    app: TestClient, calls: Calls, username: str
) -> None:
    sign_in(app, username)
    for _ in range(3):
        listed = app.get("/web/api/leader/orders", params={"view": "open"}).json()
        api_listed = app.get("/api/orders").json()
    for rows in (listed, api_listed):
        [row] = [o for o in rows if o["ticket_id"] == calls.report_id]
        assert SECRET not in json.dumps(row, ensure_ascii=False) and row["confidential"]
    assert audit_rows(app, "read_confidential") == []
    opened = app.get(f"/web/api/leader/orders/{calls.report_id}")
    assert opened.status_code == 200 and opened.json()["question"] == SECRET
    assert opened.json()["caller_number"] == REPORTER
    [read] = audit_rows(app, "read_confidential")
    assert (read.actor, read.entity_id) == (username, str(calls.report_id))


def test_opening_a_report_in_the_console_is_refused_to_other_leaders_and_audited(
    app: TestClient, calls: Calls
) -> None:
    sign_in(app, "shift1")
    refused = app.get(f"/web/api/leader/orders/{calls.report_id}")
    assert refused.status_code == 403 and SECRET not in refused.text
    [denied] = audit_rows(app, "read_denied")
    assert denied.actor == "shift1"


def test_who_read_a_report_is_for_the_hotline_leaders_eyes_only(
    app: TestClient, calls: Calls
) -> None:
    sign_in(app, "rev1")
    assert app.get(f"/api/orders/{calls.report_id}").status_code == 200
    for name in ("shift1", "qc1", "admin1"):
        sign_in(app, name)
        actions = {a["action"] for a in app.get("/api/audit", params={"limit": 5000}).json()}
        assert actions and not actions & {"read_confidential", "read_denied"}, name
    sign_in(app, "hl1")
    reads = app.get("/api/audit", params={"action": "read_confidential"}).json()
    assert [(a["actor"], a["entity_id"]) for a in reads] == [("rev1", str(calls.report_id))]
    confidential = app.get("/api/audit", params={"confidential": "true"}).json()
    assert confidential == reads  # the console's 操作日志 view: the reads of reports only
    page = app.get("/web/leader")
    assert page.status_code == 200


def test_the_assigned_reviewer_plays_the_reports_recording_and_no_other_reviewer(
    app: TestClient, calls: Calls
) -> None:
    settings = app.app.state.settings
    recording = f"{settings.recordings_dir}/{calls.report_uid}.wav"
    path = settings.in_chroot(recording)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF" + bytes(64))
    with db.transaction(app.app.state.sessions) as session:
        call = session.scalars(select(Call).where(Call.uniqueid == calls.report_uid)).one()
        call.recording_path = recording
    audio = f"/web/api/recordings/{calls.report_uid}/audio"
    sign_in(app, "rev2")
    assert app.get(audio).status_code == 403
    sign_in(app, "rev1")
    played = app.get(audio)
    assert played.status_code == 200 and played.content.startswith(b"RIFF")
    assert app.get(f"/web/api/recordings/{calls.report_uid}/transcript").status_code == 200
    assert {(a.actor, a.action) for a in audit_rows(app, "play_recording", "read_denied")} == {
        ("rev1", "play_recording"),
        ("rev2", "read_denied"),
    }


def test_a_unit_refused_anothers_order_is_not_told_of_reports(
    app: TestClient, calls: Calls
) -> None:
    with app.app.state.sessions() as session:
        plain = session.scalars(select(Call).where(Call.uniqueid == calls.plain_uid)).one()
        ticket_id = plain.ticket.id
    sign_in(app, "unit1")
    refused = app.get(f"/api/orders/{ticket_id}")
    assert refused.status_code == 403 and "本单位" in refused.json()["error"]
    assert "举报" not in refused.text
    report = app.get(f"/api/orders/{calls.report_id}")
    assert report.status_code == 403 and "举报" in report.json()["error"]


@pytest.mark.parametrize(
    "written", ["+86 138 0000 2222", "8613800002222", "13800002222", "0000222"]
)
def test_a_recording_is_found_by_its_number_in_any_form(
    app: TestClient, calls: Calls, written: str
) -> None:
    with db.transaction(app.app.state.sessions) as session:
        call = session.scalars(select(Call).where(Call.uniqueid == calls.plain_uid)).one()
        call.recording_path = f"/rec/{calls.plain_uid}.wav"
    sign_in(app, "qc1")
    found = app.get("/web/api/recordings", params={"number": written}).json()
    assert [r["uniqueid"] for r in found] == [calls.plain_uid], written
