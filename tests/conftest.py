"""Shared fixtures: a migrated database per test.

The tests never read a site's settings file: settings built in a test are the defaults (with a
private state folder) plus what the test says. (A hotline the tests start gets its own file, see
support/instance.py.)
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm import db

# The settings file a test reads unless it names its own: a private state folder, so that
# nothing a test makes (a CRM's session key, a rendered dialplan) lands in /var/lib/hotline.
_STATE = Path(tempfile.mkdtemp(prefix="hotline-tests-"))
atexit.register(shutil.rmtree, _STATE, True)
(_STATE / "hotline.yaml").write_text(f"var_dir: {_STATE / 'var'}\n", encoding="utf-8")
os.environ["HOTLINE_CONFIG"] = str(_STATE / "hotline.yaml")


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
