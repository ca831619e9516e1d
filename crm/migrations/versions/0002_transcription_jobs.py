"""Transcription jobs: one row per recorded call, claimed by the speech workers.

Revision ID: 0002
Revises: wo02
Create Date: 2026-11-28 14:43:00.861272
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "wo02"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asr_transcription_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_uniqueid", sa.String(length=64), nullable=False),
        sa.Column("recording_path", sa.String(length=1024), nullable=False),
        sa.Column("ticket_ref", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("available_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("decode_seconds", sa.Double(), nullable=True),
        sa.Column("transcript_json", sa.Text(), nullable=True),
        sa.Column("transcript_text", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asr_transcription_jobs")),
    )
    with op.batch_alter_table("asr_transcription_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_asr_transcription_jobs_available_at"), ["available_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_asr_transcription_jobs_call_uniqueid"), ["call_uniqueid"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_asr_transcription_jobs_status"), ["status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_asr_transcription_jobs_ticket_ref"), ["ticket_ref"], unique=False
        )
        batch_op.create_index("uq_asr_transcription_jobs_call", ["call_uniqueid"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("asr_transcription_jobs", schema=None) as batch_op:
        batch_op.drop_index("uq_asr_transcription_jobs_call")
        batch_op.drop_index(batch_op.f("ix_asr_transcription_jobs_ticket_ref"))
        batch_op.drop_index(batch_op.f("ix_asr_transcription_jobs_status"))
        batch_op.drop_index(batch_op.f("ix_asr_transcription_jobs_call_uniqueid"))
        batch_op.drop_index(batch_op.f("ix_asr_transcription_jobs_available_at"))

    op.drop_table("asr_transcription_jobs")
