"""Shared fixtures: a migrated database per test.

The tests never read a site's ``var/hotline.yaml``: settings built in a test are the defaults
plus what the test says. (A hotline the tests start gets its own file, see support/instance.py.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm import db

os.environ["HOTLINE_CONFIG"] = str(Path(tempfile.gettempdir()) / "hotline-tests-no-such-file.yaml")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    db.upgrade(url)
    return url


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = db.make_engine(db_url)
    yield db.make_sessionmaker(engine)
    engine.dispose()
