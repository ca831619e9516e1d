"""Transcription jobs (asr/jobs.py) bound to the CRM's database: one job per recorded call."""

from __future__ import annotations

from sqlalchemy import Index

from asr.jobs import DEFAULT_TABLE, TranscriptionJobMixin
from crm.models.base import Base


class TranscriptionJob(TranscriptionJobMixin, Base):
    """A call's recording waiting for, or holding, its transcript (来电人 / 话务员 legs)."""

    __tablename__ = DEFAULT_TABLE
    # Both the FastAGI server and the AMI bridge report a call's end: one job all the same.
    __table_args__ = (Index("uq_asr_transcription_jobs_call", "call_uniqueid", unique=True),)
