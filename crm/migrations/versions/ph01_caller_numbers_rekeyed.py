"""Caller numbers re-keyed by the one normaliser on ``phonenumbers`` (callmodel/phones.py).

The hand-written normaliser before it stored ``+864716250000`` as ``4716250000`` (the
``0471-6250000`` form gave ``04716250000``) and left ``8613812345678`` as it came, so one caller
had two numbers and repeat calls and chases were missed. Calls, tickets, contact numbers and the
caller register are re-keyed; two register rows that turn out to be one caller are merged (the
orders of the second move to the first, a name or address only the second had is kept).
Numbers already masked by the retention purge (138****1234) and anonymous calls are left as
they are. A number that is already in the new form is unchanged, so the upgrade may run twice;
the downgrade keeps the new keys (the old ones identified callers less well, nothing is lost).

Revision ID: ph01
Revises: vm01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callmodel.phones import normalize_phone

revision = "ph01"
down_revision = "vm01"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("calls", "caller_number"),
    ("tickets", "caller_number"),
    ("ticket_details", "contact_number"),
)


def _rekeyed(number: str | None) -> str | None:
    """The new key of a stored number, or None when it stays as it is."""
    if not number or "*" in number:
        return None
    key = normalize_phone(number)
    return key if key and key != number else None


def _rekey_column(conn: sa.Connection, table: str, column: str) -> None:
    t = sa.table(table, sa.column("id", sa.Integer), sa.column(column, sa.String))
    if table == "ticket_details":
        t = sa.table(table, sa.column("ticket_id", sa.Integer), sa.column(column, sa.String))
    key_column = t.c.ticket_id if table == "ticket_details" else t.c.id
    rows = conn.execute(sa.select(key_column, t.c[column]).where(t.c[column].is_not(None)))
    for row_id, number in list(rows):
        key = _rekeyed(number)
        if key is not None:
            conn.execute(t.update().where(key_column == row_id).values({column: key}))


def _merge_callers(conn: sa.Connection) -> None:
    callers = sa.table(
        "callers",
        sa.column("id", sa.Integer),
        sa.column("number", sa.String),
        sa.column("name", sa.String),
        sa.column("address", sa.String),
    )
    details = sa.table("ticket_details", sa.column("caller_id", sa.Integer))
    query = sa.select(callers.c.id, callers.c.number, callers.c.name, callers.c.address)
    groups: dict[str, list[tuple[int, str, str | None, str | None]]] = {}
    for caller_id, number, name, address in list(conn.execute(query.order_by(callers.c.id))):
        groups.setdefault(_rekeyed(number) or number, []).append((caller_id, number, name, address))
    for key, rows in groups.items():
        # The row already under the new key survives (the unique number stays unique), else
        # the oldest.
        first = next((r for r in rows if r[1] == key), rows[0])
        name, address = first[2], first[3]
        for other in rows:
            if other is first:
                continue
            name, address = name or other[2], address or other[3]
            conn.execute(
                details.update().where(details.c.caller_id == other[0]).values(caller_id=first[0])
            )
            conn.execute(callers.delete().where(callers.c.id == other[0]))
        if first[1] != key or len(rows) > 1:
            conn.execute(
                callers.update()
                .where(callers.c.id == first[0])
                .values(number=key, name=name, address=address)
            )


def upgrade() -> None:
    conn = op.get_bind()
    for table, column in _COLUMNS:
        _rekey_column(conn, table, column)
    _merge_callers(conn)


def downgrade() -> None:
    """The new keys stay: they are valid numbers in the old columns."""
