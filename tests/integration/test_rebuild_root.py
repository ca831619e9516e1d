"""``hotline upgrade --rebuild`` on a running hotline: the Asterisk root is built again from
nothing (debootstrap, about a minute) beside the one Asterisk runs in, and Asterisk restarts
into it. The root holds no state (hotline.asterisk.mount_state), so every recording is still
there afterwards, byte for byte, and plays; the next call is recorded beside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.asterisk import CHROOT_SCRIPT
from hotline.settings import DEFAULT_CHROOT
from hotlinectl import services
from hotlinectl.upgrade import old_root
from tests.integration.conftest import SPEECH_SETTINGS, Hotline, finished
from tests.support.instance import SERVICE_HOMES, isolated_hotline

pytestmark = pytest.mark.asterisk

# What other hotlines have mounted into the cached root (/proc, /dev, their state under /srv).
MOUNTED_FROM_ELSEWHERE = ("proc", "dev", "srv")


@pytest.fixture
def own_root() -> Iterator[Path]:
    """A root for this hotline alone, copied from the cached one, which other hotlines of the
    suite run in: only this copy is rebuilt. Outside pytest's folders, which are private to
    root: the services' user must reach the recordings inside it."""
    subprocess.run(["bash", str(CHROOT_SCRIPT), "build", str(DEFAULT_CHROOT)], check=True)
    parent = Path(tempfile.mkdtemp(prefix="hotline-rebuilt-", dir=SERVICE_HOMES))
    parent.chmod(0o755)
    target = parent / "root"
    target.mkdir()
    for entry in DEFAULT_CHROOT.iterdir():
        if entry.name in MOUNTED_FROM_ELSEWHERE:
            (target / entry.name).mkdir()
        else:
            subprocess.run(["cp", "-a", str(entry), str(target)], check=True)
    try:
        yield target
    finally:
        for root in (target, target.with_name("root.old"), target.with_name("root.next")):
            subprocess.run(["bash", str(CHROOT_SCRIPT), "remove", str(root)], check=False)
        shutil.rmtree(parent, ignore_errors=True)


def plays(recording: Path, workdir: Path) -> float:
    """Seconds of audio a player gets out of the recording (Debian's opusdec decodes it)."""
    decoded = workdir / f"{recording.stem}-decoded.wav"
    subprocess.run(["opusdec", "--quiet", str(recording), str(decoded)], check=True)
    with wave.open(str(decoded)) as audio:
        return audio.getnframes() / audio.getframerate()


def compressed(call: dict[str, object]) -> bool:
    return bool(call["ended_at"]) and str(call["recording_path"] or "").endswith(".opus")


def test_a_root_rebuilt_from_nothing_keeps_every_recording(tmp_path: Path, own_root: Path) -> None:
    root = own_root
    with isolated_hotline(tmp_path, asterisk_root=str(root), asr=SPEECH_SETTINGS) as instance:
        hotline = Hotline.of(instance)
        number, caller = hotline.call(hold_ms=4000)
        assert finished(caller) == 0
        before = hotline.wait_for_call(number, compressed, timeout=120)
        recording = hotline.settings.in_chroot(before["recording_path"])
        recorded = recording.read_bytes()
        assert plays(recording, tmp_path) > 3
        (root / "built-before").write_text("the root as it was")
        asterisk_before = services.pid_of(hotline.settings, "asterisk")

        done = subprocess.run(
            [sys.executable, "-m", "hotlinectl.cli", "upgrade", "--rebuild", "--wait", "120"],
            env={**os.environ, "HOTLINE_CONFIG": str(hotline.settings.source_file)},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Asterisk 已重启" in done.stdout, done.stdout

        # A new root: nothing of the one before is in it, and the one before is gone.
        assert not (root / "built-before").exists()
        assert not old_root(hotline.settings).exists()
        assert services.pid_of(hotline.settings, "asterisk") not in (None, asterisk_before)
        # The recording, seen through the new root where Asterisk and the CRM look for it.
        after = hotline.wait_for_call(number, compressed)
        assert after["recording_path"] == before["recording_path"]
        assert recording.read_bytes() == recorded
        assert plays(recording, tmp_path) > 3

        number, caller = hotline.call(hold_ms=4000)
        assert finished(caller) == 0
        next_call = hotline.wait_for_call(number, compressed, timeout=120)
        assert plays(hotline.settings.in_chroot(next_call["recording_path"]), tmp_path) > 3
