"""Call-emergency plan: post-event summaries and the harassment blocklist.

Revision ID: plan01
Revises: auth01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crm.models.base import UTCDateTime

revision = "plan01"
down_revision = "auth01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "emergency_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("improvements", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_emergency_summaries_ticket_id_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_summaries")),
    )
    with op.batch_alter_table("emergency_summaries") as batch:
        batch.create_index(batch.f("ix_emergency_summaries_ticket_id"), ["ticket_id"], unique=False)
    op.create_table(
        "blocked_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("removed_by", sa.String(length=64), nullable=True),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocked_numbers")),
    )
    with op.batch_alter_table("blocked_numbers") as batch:
        batch.create_index(batch.f("ix_blocked_numbers_number"), ["number"], unique=False)
        batch.create_index(batch.f("ix_blocked_numbers_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("blocked_numbers") as batch:
        batch.drop_index(batch.f("ix_blocked_numbers_expires_at"))
        batch.drop_index(batch.f("ix_blocked_numbers_number"))
    op.drop_table("blocked_numbers")
    with op.batch_alter_table("emergency_summaries") as batch:
        batch.drop_index(batch.f("ix_emergency_summaries_ticket_id"))
    op.drop_table("emergency_summaries")
