"""Sign-in throttle and idle timeout: failed sign-ins per account and address, last-seen.

Revision ID: auth01
Revises: ret01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crm.models.base import UTCDateTime

revision = "auth01"
down_revision = "ret01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_attempts",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", UTCDateTime(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_sign_in_attempts")),
    )
    with op.batch_alter_table("sign_in_attempts") as batch:
        batch.create_index(
            batch.f("ix_sign_in_attempts_locked_until"), ["locked_until"], unique=False
        )
    with op.batch_alter_table("web_credentials") as batch:
        batch.add_column(sa.Column("last_seen_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_credentials") as batch:
        batch.drop_column("last_seen_at")
    with op.batch_alter_table("sign_in_attempts") as batch:
        batch.drop_index(batch.f("ix_sign_in_attempts_locked_until"))
    op.drop_table("sign_in_attempts")
