from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from crm.app import include_api
from tests.databases import (  # noqa: F401
    db_url,
    postgres_server,
    postgres_template,
    session_factory,
    sqlite_template,
)
from tests.helpers import SEEDED, Clock, cn, seed
from tests.support.tokens import as_user, grant


@pytest.fixture
def clock() -> Clock:
    return Clock(cn(9, 30, 10, 5))


@pytest.fixture
def app(session_factory: sessionmaker[Session], clock: Clock) -> FastAPI:  # noqa: F811
    with session_factory() as s:
        seed(s)
    grant(session_factory, *SEEDED)
    app = FastAPI()
    app.state.sessions = session_factory
    app.state.clock = clock
    app.state.service_token = SERVICE_TOKEN
    include_api(app)
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


SERVICE_TOKEN = "api-test-service-token"
__all__ = ["SERVICE_TOKEN", "Clock", "as_user"]
