"""Backup of a running hotline while a call is in progress, restored on a second hotline with
other ports and folders: the same tickets, the same recordings, and staff can sign in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from hotlinectl import services
from tests.integration.conftest import Hotline, finished
from tests.support.instance import isolated_hotline

pytestmark = pytest.mark.asterisk

PASSWORD = "restore-test-password-1"


def hotline_command(hotline: Hotline, *args: str, stdin: str | None = None) -> str:
    """Run the ``hotline`` command against this hotline, as an operator would."""
    done = subprocess.run(
        [sys.executable, "-m", "hotlinectl.cli", *args],
        env={**os.environ, "HOTLINE_CONFIG": str(hotline.settings.source_file)},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_backup_under_a_call_restores_on_another_instance(
    hotline: Hotline, tmp_path_factory: pytest.TempPathFactory
) -> None:
    hotline_command(hotline, "create-admin", "restorer", "--password-stdin", stdin=PASSWORD + "\n")
    number, first = hotline.call(hold_ms=4000)
    assert finished(first) == 0
    # Transcribed, then compressed to Opus by the transcriber (hotline/recordings.py).
    recorded = hotline.wait_for_call(
        number,
        lambda c: c["ended_at"] and (c["recording_path"] or "").endswith(".opus"),
        timeout=120,
    )
    source_recording = hotline.settings.in_chroot(recorded["recording_path"])
    assert source_recording.is_file()
    assert not source_recording.with_suffix(".wav").exists()

    # The backup runs while another citizen is on the line.
    _, ongoing = hotline.call(hold_ms=8000)
    folder = tmp_path_factory.mktemp("backup") / "nightly"
    hotline_command(hotline, "backup", str(folder))
    assert finished(ongoing) == 0
    assert (folder / "db" / "hotline.db").is_file()

    with isolated_hotline(tmp_path_factory.mktemp("restored")) as instance:
        second = Hotline.of(instance)
        services.stop_all(second.settings)
        out = hotline_command(second, "restore", str(folder))
        assert "恢复完成" in out
        services.start_all(second.settings)

        restored = second.wait_for_call(number, lambda c: c["ended_at"] is not None)
        assert restored["ticket"]["number"] == recorded["ticket"]["number"]
        path = second.settings.in_chroot(restored["recording_path"])
        assert str(path).startswith(str(second.settings.instance_host_dir))
        assert path.read_bytes() == source_recording.read_bytes()
        assert path.read_bytes()[:4] == b"OggS"

        signed_in = httpx.post(
            f"{second.settings.crm_url}/web/login",
            data={"username": "restorer", "password": PASSWORD},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303 and "set-cookie" in signed_in.headers


def test_restore_refuses_while_the_hotline_runs(hotline: Hotline, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hotlinectl.cli", "restore", str(tmp_path)],
        env={**os.environ, "HOTLINE_CONFIG": str(hotline.settings.source_file)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "请先停止热线服务" in done.stderr
