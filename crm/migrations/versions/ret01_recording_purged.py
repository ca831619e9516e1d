"""A call whose recording the retention purge deleted says when.

Revision ID: ret01
Revises: rep01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crm.models.base import UTCDateTime

revision = "ret01"
down_revision = "rep01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("recording_purged_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("recording_purged_at")
