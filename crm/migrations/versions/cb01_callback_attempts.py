"""call-backs: every attempt with its agent, time, result and recording

Revision ID: cb01
Revises: web01
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from crm.models.base import UTCDateTime

revision = "cb01"
down_revision = "web01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("agent_extension", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("talk_seconds", sa.Integer(), nullable=True),
        sa.Column("recording_path", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_callback_attempts_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_attempts")),
    )
    op.create_index(
        op.f("ix_callback_attempts_ticket_id"), "callback_attempts", ["ticket_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_callback_attempts_ticket_id"), table_name="callback_attempts")
    op.drop_table("callback_attempts")
