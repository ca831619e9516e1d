"""A call whose recording Asterisk could not write says so.

Revision ID: ops01
Revises: cb01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ops01"
down_revision = "cb01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(
            sa.Column("recording_failed", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("recording_failed")
