"""An instance whose state is still in the code's ``var/`` moves to the state folder once, at
the first setup; a hotline named by HOTLINE_CONFIG (every test instance) never moves."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crm import db
from hotline.settings import DEFAULT_VAR_DIR, Settings
from hotlinectl.relocate import migrate_legacy_state


def test_the_default_state_folder_is_var_lib_hotline() -> None:
    assert Path("/var/lib/hotline") == DEFAULT_VAR_DIR
    assert Settings.model_fields["var_dir"].default == DEFAULT_VAR_DIR


def test_an_old_instance_moves_once_with_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    legacy, target = tmp_path / "project" / "var", tmp_path / "lib" / "hotline"
    legacy.mkdir(parents=True)
    (legacy / "hotline.yaml").write_text(
        yaml.safe_dump(
            {
                "ami_secret": "s",
                "asterisk_root": str(tmp_path / "root"),
                "database_url": f"sqlite:///{legacy}/hotline.db",
            }
        ),
        encoding="utf-8",
    )
    db.upgrade(f"sqlite:///{legacy}/hotline.db")
    recording = legacy / "asterisk" / "recordings" / "2026" / "1.1.wav"
    recording.parent.mkdir(parents=True)
    recording.write_bytes(b"RIFF")
    (legacy / "log").mkdir()
    (legacy / "log" / "crm.log").write_text("x")

    monkeypatch.setenv("HOTLINE_CONFIG", str(legacy / "hotline.yaml"))
    assert migrate_legacy_state(legacy, target) is False  # a named hotline stays where it is
    monkeypatch.delenv("HOTLINE_CONFIG")
    assert migrate_legacy_state(legacy, target) is True

    assert list(legacy.iterdir()) == []
    assert (target / "asterisk" / "recordings" / "2026" / "1.1.wav").read_bytes() == b"RIFF"
    assert (target / "log" / "crm.log").exists() and (target / "hotline.db").exists()
    config = yaml.safe_load((target / "hotline.yaml").read_text(encoding="utf-8"))
    assert config["database_url"] == f"sqlite:///{target}/hotline.db"
    assert config["ami_secret"] == "s"
    assert (target / "hotline.yaml").stat().st_mode & 0o777 == 0o600
    assert migrate_legacy_state(legacy, target) is False  # once
