"""The asr block of the hotline settings: YAML file, environment, defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from asr.settings import DEFAULT_MODEL_NAME, AsrSettings
from hotline.settings import load_settings


def test_defaults_point_at_the_small_mandarin_model() -> None:
    settings = AsrSettings()
    assert settings.resolved_model_dir().name == DEFAULT_MODEL_NAME
    assert settings.worker_count() == (os.cpu_count() or 1)
    assert settings.ivr_invites_speech is False
    assert AsrSettings(workers=1).worker_count() == 1


def test_yaml_and_environment_reach_the_asr_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "hotline.yaml"
    config.write_text(
        yaml.safe_dump({"asr": {"model_dir": "/models/cn", "ivr_invites_speech": True}})
    )
    monkeypatch.setenv("HOTLINE_CONFIG", str(config))
    monkeypatch.setenv("HOTLINE_ASR__WORKERS", "3")
    settings = load_settings()
    assert settings.asr.resolved_model_dir() == Path("/models/cn")
    assert settings.asr.ivr_invites_speech is True
    assert settings.asr.worker_count() == 3
    assert settings.asr.utterance_max_seconds == 5.0
