"""A stand-in for the CRM's models module: a Base and the job model bound to it.

``python -m asr jobs … --job-model tests.asr.jobmodel:TranscriptionJob`` imports it the way
the application's ``crm.models:TranscriptionJob`` will be imported.
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from asr.jobs import make_job_model


class Base(DeclarativeBase):
    pass


TranscriptionJob = make_job_model(Base)
