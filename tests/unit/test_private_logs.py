"""No SQL parameters, no full caller numbers in the logs: a real database error, logged as
the CRM logs it, names the statement but not the number it was given."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from crm import db
from crm.models import Call
from hotline.logs import MaskingFormatter, mask_numbers

NUMBER = "13912345678"


def test_a_database_error_does_not_log_its_parameters(db_url: str) -> None:
    sessions = db.make_sessionmaker(db.make_engine(db_url))
    started = datetime.now(UTC)
    with db.transaction(sessions) as session:
        session.add(Call(uniqueid="1.1", caller_number="13800000000", started_at=started))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))  # the parameters alone, unmasked
    log = logging.getLogger("test.private")
    log.addHandler(handler)
    try:
        with pytest.raises(IntegrityError) as raised, db.transaction(sessions) as session:
            session.add(Call(uniqueid="1.1", caller_number=NUMBER, started_at=started))
        log.error("write failed", exc_info=raised.value)
    finally:
        log.removeHandler(handler)
    written = stream.getvalue()
    assert "INSERT INTO calls" in written and "UNIQUE constraint failed" in written
    assert NUMBER not in written and NUMBER not in str(raised.value)


def test_numbers_are_masked_in_every_line_but_ids_are_not() -> None:
    assert mask_numbers("call from 13912345678 to 12345") == "call from 139****5678 to 12345"
    assert mask_numbers("+8613912345678 rang") == "+861******5678 rang"
    assert mask_numbers("uniqueid 1733051234.12 ticket 20261128-0001") == (
        "uniqueid 1733051234.12 ticket 20261128-0001"
    )
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "pop for %s", (NUMBER,), None)
    assert MaskingFormatter("%(message)s").format(record) == "pop for 139****5678"
