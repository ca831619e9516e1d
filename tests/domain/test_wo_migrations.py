"""The work-order migrations apply, reverse and re-apply on both databases."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from crm.db import alembic_config, make_engine, upgrade

WO_TABLES = {
    "units",
    "callers",
    "staff_users",
    "ticket_details",
    "work_orders",
    "unit_replies",
    "return_visits",
    "audit_log",
    "kb_articles",
    "kb_answers",
    "special_lines",
}


def test_migrations_up_down_up(db_url: str) -> None:
    engine = make_engine(db_url)
    assert set(inspect(engine).get_table_names()) >= WO_TABLES
    command.downgrade(alembic_config(db_url), "0001")
    engine.dispose()
    engine = make_engine(db_url)
    tables = set(inspect(engine).get_table_names())
    assert not WO_TABLES & tables
    assert "tickets" in tables
    upgrade(db_url)
    engine.dispose()
    engine = make_engine(db_url)
    assert set(inspect(engine).get_table_names()) >= WO_TABLES
    engine.dispose()
