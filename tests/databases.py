"""Database fixtures for the work-order tests: every DB test runs on SQLite and on PostgreSQL.

PostgreSQL is Debian's package. If it is missing and we are root, it is installed with apt-get;
a private cluster is created with initdb in a temporary folder (trust auth, 127.0.0.1 only, a
free port) and stopped at the end of the session. Each test gets a fresh database cloned from a
migrated template, so tests never see each other's rows and migrations run once per backend.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from crm.db import make_engine, make_sessionmaker, upgrade

BACKENDS = ["sqlite", "postgresql"]


def _pg_bin() -> Path | None:
    root = Path("/usr/lib/postgresql")
    versions = sorted(root.glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A private PostgreSQL cluster for this test session; yields the server URL (no database)."""
    if _pg_bin() is None:
        if os.geteuid() != 0:
            pytest.fail("PostgreSQL is not installed and the tests are not root: apt-get it")
        subprocess.run(
            ["apt-get", "install", "-y", "postgresql", "postgresql-contrib"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    pg_bin = _pg_bin()
    assert pg_bin is not None
    base = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
    base.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    data, port = base / "data", _free_port()
    subprocess.run(
        _as_postgres(
            [
                str(pg_bin / "initdb"),
                "-D",
                str(data),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "-U",
                "postgres",
            ]
        ),
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    ctl = [str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w"]
    subprocess.run(_as_postgres([*ctl, "-o", opts, "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([*ctl, "-m", "fast", "stop"]), capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> str:
    admin = create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE wo_template"))
    admin.dispose()
    upgrade(f"{postgres_server}/wo_template")
    return "wo_template"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


_counter = itertools.count()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "hotline.db"
        shutil.copy(template, target)
        yield f"sqlite:///{target}"
        return
    server: str = request.getfixturevalue("postgres_server")
    tpl: str = request.getfixturevalue("postgres_template")
    name = f"wo_test_{os.getpid()}_{next(_counter)}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {tpl}"))
    try:
        yield f"{server}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def session_factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        yield s
