"""Help requests keep their repair category, the key of their place and the order they repeat.

A repeat repair (重复报修) is the same repair category at the same place within some days of the
first one's close (crm/domain/repairs.py); these columns let a registration find the first one
and the figures count it. Orders registered before have no category: they are never counted.

Revision ID: ph02
Revises: ph01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ph02"
down_revision = "ph01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_details") as batch:
        batch.add_column(sa.Column("repair_category", sa.String(32), nullable=True))
        batch.add_column(sa.Column("address_key", sa.String(256), nullable=True))
        batch.add_column(sa.Column("repeat_repair_of", sa.String(20), nullable=True))
        batch.create_index("ix_ticket_details_address_key", ["address_key"])


def downgrade() -> None:
    with op.batch_alter_table("ticket_details") as batch:
        batch.drop_index("ix_ticket_details_address_key")
        batch.drop_column("repeat_repair_of")
        batch.drop_column("address_key")
        batch.drop_column("repair_category")
