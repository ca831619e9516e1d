"""The whole API against its own OpenAPI document: schemathesis (PyPI) generates requests for
every operation from the schema, valid and invalid, and sends them to the real application
(``crm.app.create_app``: every router, the one error handler, the security headers; SQLite in a
temporary folder; AMI a stand-in that accepts every action).

Each answer must be no server error (5xx), carry a status code the operation documents, and
match the documented response schema. Each operation is run twice: with a shift leader's
personal API token, and with the session cookie of a console account (``credentials``, the
one place that says how requests authenticate). The run is derandomised (CI reproduces a
failure) and keeps no example database between runs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from callmodel.calltypes import CallType
from crm import db
from crm.accounts.services import set_account
from crm.app import create_app
from crm.directory.services import seed_all
from crm.domain.access import Role, Viewer
from crm.orders import services as orders
from crm.security import COOKIE
from hotline.settings import load_settings
from tests.helpers import new_ticket
from tests.support.tokens import as_user, grant

TOKEN = "schemathesis-service-token"
PASSWORD = "schemathesis password 1"
SHIFT_LEADER = "shift1"
# One account of every role; the console account holds every role a console route asks for
# (not a member unit's, which narrows what it may read), with a desk extension of the settings.
ACCOUNTS: dict[str, tuple[list[Role], str | None]] = {
    "agent1": ([Role.AGENT], "8001"),
    SHIFT_LEADER: ([Role.SHIFT_LEADER], None),
    "rev1": ([Role.REVIEWER], None),
    "hl1": ([Role.HOTLINE_LEADER], None),
    "unit1": ([Role.UNIT], None),
    "qc1": ([Role.SUPERVISOR], None),
    "admin1": ([Role.ADMIN], None),
    "console1": ([r for r in Role if r is not Role.UNIT], "8002"),
}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
SETTINGS = hypothesis.settings(
    max_examples=20,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


async def accept(message: dict[str, str]) -> dict[str, Any]:
    """AMI's answer to every action here: queue moves succeed without Asterisk."""
    return {"Response": "Success"}


def seed(application: FastAPI) -> None:
    """Units, special lines and articles as a site starts with; accounts; a few tickets."""
    agent = Viewer("agent1", frozenset({Role.AGENT}))
    with db.transaction(application.state.sessions) as session:
        seed_all(session)
        for name, (roles, extension) in ACCOUNTS.items():
            set_account(session, name, PASSWORD, roles, display_name=name, extension=extension)
        for caller, form in (
            ("13800001111", orders.RegistrationForm(CallType.CONSULTATION, "公积金怎么提取")),
            (
                "13900002222",
                orders.RegistrationForm(
                    CallType.REPORT, "某局长收受礼金", target="某局长", assigned_reviewer="rev1"
                ),
            ),
        ):
            ticket = new_ticket(session, caller, datetime.now(UTC))
            orders.register_ticket(session, ticket.id, form, agent)
        new_ticket(session, "13700003333", datetime.now(UTC))


@dataclass(frozen=True)
class Site:
    """The application under test and the session cookie of its console account."""

    app: FastAPI
    cookie: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder: Path = tmp_path_factory.mktemp("schemathesis")
    patch = pytest.MonkeyPatch()
    patch.setenv("HOTLINE_CONFIG", str(folder / "none.yaml"))
    settings = load_settings(var_dir=folder).model_copy(update={"crm_ingest_token": TOKEN})
    app = create_app(settings, connect_ami=False)
    # One client for the set-up (its lifespan migrates the database); schemathesis then runs
    # the application's lifespan once more for itself.
    with TestClient(app, base_url="http://testserver") as client:
        seed(app)
        grant(app.state.sessions, SHIFT_LEADER)
        signed_in = client.post(
            "/web/login",
            data={"username": "console1", "password": PASSWORD},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303, signed_in.text
        cookie = str(client.cookies[COOKIE])
    patch.setattr(app.state.agents.ami, "action", accept)
    yield Site(app, cookie)
    patch.undo()


@pytest.fixture(scope="module")
def credentials(site: Site) -> dict[str, dict[str, str]]:
    """The one place that says how the run authenticates: the headers sent with every request,
    for a script (a shift leader's personal API token) and for a console (a session cookie)."""
    return {
        "token": as_user(SHIFT_LEADER),
        "console": {"Cookie": f"{COOKIE}={site.cookie}", "Origin": "http://testserver"},
    }


def openapi_document() -> dict[str, Any]:
    """The application's OpenAPI document, which no setting or data changes (built at collection
    so that each operation is a test of its own; the requests go to ``site``'s application)."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(load_settings(var_dir=Path(folder)), connect_ami=False)
        document: dict[str, Any] = app.openapi()
        app.state.engine.dispose()
    return document


# The examples and fuzzing phases, valid and invalid data; the coverage phase (every boundary of
# every parameter, unbounded by max_examples) would take the run past its budget.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)


@pytest.mark.parametrize("who", ["token", "console"])
@schema.parametrize()
@SETTINGS
def test_the_api_meets_its_documented_contract(
    case: Any, who: str, site: Site, credentials: dict[str, dict[str, str]]
) -> None:
    case.call_and_validate(app=site.app, headers=credentials[who], checks=CHECKS)
