"""Asterisk's state lives in the hotline's state folder, mounted into the Asterisk root: the
root holds none of it, so rebuilding or upgrading the root can lose no recording."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import pytest

from hotline.asterisk import mount_state, unmount_state
from hotline.settings import Settings
from tests.integration.conftest import Hotline, finished

pytestmark = pytest.mark.asterisk


def test_recordings_are_in_the_state_folder_and_the_root_holds_none_of_them(
    hotline: Hotline, tmp_path: Path
) -> None:
    number, caller = hotline.call(hold_ms=3000)
    assert finished(caller) == 0
    call = hotline.wait_for_call(number, lambda c: c["ended_at"] and c["recording_path"])
    relative = Path(call["recording_path"]).relative_to(hotline.settings.asterisk_instance_dir)
    kept = hotline.settings.asterisk_state_dir / relative
    with wave.open(str(kept)) as audio:
        assert audio.getnframes() > 0
    # The root's own folder for the instance, seen without what is mounted on it, is empty.
    srv = hotline.settings.in_chroot(hotline.settings.asterisk_instance_dir.parent)
    view = tmp_path / "root-srv"
    view.mkdir()
    subprocess.run(["mount", "--bind", str(srv), str(view)], check=True)
    try:
        assert list((view / hotline.settings.asterisk_instance_dir.name).iterdir()) == []
    finally:
        subprocess.run(["umount", str(view)], check=True)


def test_an_instance_from_before_has_its_state_moved_out_of_the_root_once(tmp_path: Path) -> None:
    settings = Settings(
        var_dir=tmp_path / "var",
        asterisk_root=tmp_path / "root",
        asterisk_instance_dir=Path("/srv/hotline/old"),
    )
    old = settings.instance_host_dir / "recordings" / "2026" / "11" / "30"
    old.mkdir(parents=True)
    (old / "1796.1.wav").write_bytes(b"RIFF-old-call")
    mount_state(settings)
    try:
        moved = settings.asterisk_state_dir / "recordings" / "2026" / "11" / "30" / "1796.1.wav"
        assert moved.read_bytes() == b"RIFF-old-call"
        assert (old / "1796.1.wav").read_bytes() == b"RIFF-old-call"  # seen through the mount
        mount_state(settings)  # once: a second setup changes nothing
    finally:
        unmount_state(settings)
    assert not (old / "1796.1.wav").exists()  # the root kept nothing of it
    assert moved.exists()
