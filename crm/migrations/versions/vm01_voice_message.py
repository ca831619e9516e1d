"""A call whose caller left a voice message after the longest wait says so.

Revision ID: vm01
Revises: plan01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "vm01"
down_revision = "plan01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(
            sa.Column("voice_message", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("voice_message")
