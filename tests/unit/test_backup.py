"""Backup and restore on real SQLite databases, while a writer keeps writing."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import yaml

from crm import db
from hotline.settings import Settings
from hotlinectl import backup, cli, services
from tests.support.schedules import SITE_2027


def _settings(root: Path, instance: str) -> Settings:
    config = root / "hotline.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(yaml.safe_dump(_config(root, instance)), encoding="utf-8")
    os.environ["HOTLINE_CONFIG"] = str(config)
    settings = Settings()
    db.upgrade(settings.db_url)
    return settings


def _config(root: Path, instance: str) -> dict[str, str]:
    return {
        "var_dir": str(root / "var"),
        "asterisk_root": str(root / "chroot"),
        "asterisk_instance_dir": f"/srv/hotline/{instance}",
    }


def _record_calls(settings: Settings, stop: threading.Event, written: list[int]) -> None:
    connection = sqlite3.connect(settings.db_url.split("///", 1)[1], timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    n = 0
    while not stop.is_set():
        n += 1
        with connection:
            connection.execute(
                "INSERT INTO calls (uniqueid, caller_number, started_at, ivr_path, "
                "ivr_fallback, urgent_words, transferred_to_110, outcome, recording_path) "
                "VALUES (?, '13800000000', CURRENT_TIMESTAMP, '[]', 0, '[]', 0, 'answered', ?)",
                (f"u{n}", f"{settings.recordings_dir}/2026/12/01/u{n}.wav"),
            )
        written.append(n)
    connection.close()


def test_backup_of_a_database_being_written_is_consistent_and_restores_elsewhere(
    tmp_path: Path,
) -> None:
    source = _settings(tmp_path / "a", "site-a")
    recordings = source.in_chroot(source.recordings_dir) / "2026" / "12" / "01"
    recordings.mkdir(parents=True)
    (recordings / "u1.wav").write_bytes(b"RIFF" + b"\0" * 100)
    (source.var_dir / "dialplans").mkdir(parents=True)
    (source.var_dir / "dialplans" / "extensions.conf").write_text("; site\n", encoding="utf-8")
    (source.var_dir / "holidays.yaml").write_text(SITE_2027, encoding="utf-8")

    stop, written = threading.Event(), []
    writer = threading.Thread(target=_record_calls, args=(source, stop, written))
    writer.start()
    try:
        time.sleep(0.2)
        folder = tmp_path / "backup"
        report = backup.backup(source, folder)
    finally:
        stop.set()
        writer.join()
    assert report.database == "sqlite" and report.recordings_copied == 1
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    copy = sqlite3.connect(folder / "db" / "hotline.db")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    backed_up = copy.execute("SELECT count(*) FROM calls").fetchone()[0]
    copy.close()
    assert 0 < backed_up <= len(written)

    # A second run copies no recording it already has, and the database as it is now.
    assert backup.backup(source, folder).recordings_kept == 1
    copy = sqlite3.connect(folder / "db" / "hotline.db")
    backed_up = copy.execute("SELECT count(*) FROM calls").fetchone()[0]
    copy.close()
    assert backed_up == len(written)

    target = _settings(tmp_path / "b", "site-b")
    report = backup.restore(target, folder)
    restored = sqlite3.connect(target.db_url.split("///", 1)[1])
    count, path = restored.execute(
        "SELECT count(*), min(recording_path) FROM calls WHERE uniqueid = 'u1'"
    ).fetchone()
    total = restored.execute("SELECT count(*) FROM calls").fetchone()[0]
    restored.close()
    assert total == backed_up and count == 1
    assert path == f"{target.recordings_dir}/2026/12/01/u1.wav"
    assert (target.in_chroot(target.recordings_dir) / "2026/12/01/u1.wav").exists()
    assert (target.var_dir / "dialplans" / "extensions.conf").read_text() == "; site\n"
    assert (target.var_dir / "holidays.yaml").read_text(encoding="utf-8") == SITE_2027
    # The target kept its own configuration file.
    assert yaml.safe_load(target.source_file.read_text(encoding="utf-8")) == _config(
        tmp_path / "b", "site-b"
    )


def test_restore_refuses_a_folder_that_is_not_a_backup(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "a", "site-a")
    with pytest.raises(backup.BackupError, match="不是热线备份"):
        backup.restore(settings, tmp_path / "nothing")


def test_restore_command_refuses_while_services_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path / "a", "site-a")
    folder = tmp_path / "backup"
    backup.backup(settings, folder)
    # The real supervisor is asked in tests/integration/test_backup_restore.py.
    monkeypatch.setattr(services, "pid_of", lambda _s, name: 4242 if name == "crm" else None)
    assert cli.main(["restore", str(folder)]) == 1
    assert "：crm 仍在运行" in capsys.readouterr().err
