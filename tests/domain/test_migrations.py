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


def test_models_and_migrations_agree(db_url: str) -> None:
    """Autogenerate finds nothing to add for the work-order tables: models == migrations."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import crm.models

    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), crm.models.Base.metadata)
    engine.dispose()

    def table_of(op: object) -> str | None:
        item = op[0] if isinstance(op, list) else op
        for part in item if isinstance(item, tuple) else ():
            name = getattr(part, "name", None)
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None):
                return str(table.name)
            if isinstance(part, str) and part in WO_TABLES:
                return part
            if name in WO_TABLES:
                return str(name)
        return None

    # wo02's full-text index on PostgreSQL is an expression index written by hand (the FTS5
    # table on SQLite is not a table SQLAlchemy models at all): not a drift.
    hand_made = {"ix_kb_articles_trgm"}
    ours = [
        d
        for d in diff
        if table_of(d) in WO_TABLES
        and not (isinstance(d, tuple) and getattr(d[1], "name", None) in hand_made)
    ]
    assert ours == []


def test_the_migrated_schema_is_the_models_metadata(db_url: str) -> None:
    """Every table the models declare is made by a migration and none is left out of the
    metadata, so ``alembic revision --autogenerate`` proposes no table to add or drop."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import crm.models

    engine = make_engine(db_url)
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), crm.models.Base.metadata)
    engine.dispose()
    tables = [d for d in diffs if isinstance(d, tuple) and d[0] in ("add_table", "remove_table")]
    # Full-text search shadow tables (wo02) are written by hand and belong to no model.
    tables = [d for d in tables if not d[1].name.startswith("kb_fts")]
    assert tables == []
    assert {"web_credentials", "config_versions"} <= set(crm.models.Base.metadata.tables)


def test_caller_numbers_are_rekeyed_and_one_caller_is_merged(db_url: str) -> None:
    """ph01: rows stored by the old normaliser (+864716250000 kept as 4716250000,
    8613812345678 kept as it came) take the one key; two register rows of one caller merge."""
    from sqlalchemy import text

    command.downgrade(alembic_config(db_url), "auth01")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        for i, number in enumerate(["4716250000", "8613812345678", "138****5678"], start=1):
            conn.execute(
                text(
                    "INSERT INTO calls (id, uniqueid, caller_number, started_at, ivr_path,"
                    " urgent_words, ivr_fallback, transferred_to_110, outcome, recording_failed)"
                    " VALUES (:i, :u, :n, '2026-11-28 01:00:00', '[]', '[]', false, false,"
                    " 'answered', false)"
                ),
                {"i": i, "u": f"1.{i}", "n": number},
            )
            conn.execute(
                text(
                    "INSERT INTO tickets (id, number, caller_number, created_at, status, call_id,"
                    " callback_needed) VALUES (:i, :t, :n, '2026-11-28 01:00:00', 'registered',"
                    " :i, false)"
                ),
                {"i": i, "t": f"20261128-000{i}", "n": number},
            )
        conn.execute(
            text(
                "INSERT INTO callers (id, number, name, address, created_at) VALUES"
                " (1, '4716250000', NULL, '新华大街1号', '2026-11-01'),"
                " (2, '04716250000', '王女士', NULL, '2026-11-02')"
            )
        )
        for ticket_id, caller_id in ((1, 1), (2, 2)):
            conn.execute(
                text(
                    "INSERT INTO ticket_details (ticket_id, caller_id, requested_type, call_type,"
                    " question, contact_number, forwardable, reply_requested, confidential,"
                    " taken_by, rules, notes, tell_caller, simple, called_at,"
                    " deadlines_provisional, overdue, updated_at) VALUES (:t, :c, 'help',"
                    " 'help', '', :n, true, false, false,"
                    " 'a1', '[]', '[]', '[]', false, '2026-11-28 01:00:00', false, '[]',"
                    " '2026-11-28 01:00:00')"
                ),
                {"t": ticket_id, "c": caller_id, "n": "+864716250000"},
            )
    engine.dispose()
    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        calls = conn.execute(text("SELECT caller_number FROM calls ORDER BY id")).scalars().all()
        tickets = (
            conn.execute(text("SELECT caller_number FROM tickets ORDER BY id")).scalars().all()
        )
        callers = conn.execute(text("SELECT id, number, name, address FROM callers")).all()
        details = conn.execute(text("SELECT caller_id, contact_number FROM ticket_details")).all()
    engine.dispose()
    assert calls == ["04716250000", "13812345678", "138****5678"] == list(tickets)
    assert callers == [(2, "04716250000", "王女士", "新华大街1号")]
    assert details == [(2, "04716250000"), (2, "04716250000")]
