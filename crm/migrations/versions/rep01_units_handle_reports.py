"""Units say whether they may receive whistle-blowing reports (纪检监察 or judicial bodies).

Existing discipline-inspection, supervision, procuratorate and court units are marked from
their names; an administrator corrects the rest in 单位管理.

Revision ID: rep01
Revises: tok01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "rep01"
down_revision = "tok01"
branch_labels = None
depends_on = None

_OVERSIGHT_NAMES = ("%纪委%", "%监委%", "%纪检%", "%检察%", "%法院%")


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.add_column(
            sa.Column("handles_reports", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    units = sa.table("units", sa.column("name", sa.String), sa.column("handles_reports"))
    op.execute(
        units.update()
        .where(sa.or_(*(units.c.name.like(n) for n in _OVERSIGHT_NAMES)))
        .values(handles_reports=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.drop_column("handles_reports")
