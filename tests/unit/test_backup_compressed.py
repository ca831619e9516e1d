"""A backup taken while the transcriber compresses recordings: the copy skips the encoder's
unfinished files and takes the Opus file that replaced a WAV; a restored row that names the
WAV is pointed at the Opus file."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from crm import db
from crm.models import Call
from hotline.settings import Settings
from hotlinectl import backup

INSTANCE = Path("/srv/hotline/backup-compressed")


def test_the_copy_skips_unfinished_files_and_follows_a_replaced_wav(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = tmp_path / "recordings", tmp_path / "copy"
    day = source / "2026" / "12" / "01"
    day.mkdir(parents=True)
    (day / "1.1.opus").write_bytes(b"OggS done")
    (day / ".1.2.opus.part").write_bytes(b"OggS half")
    report = backup.Report(tmp_path)
    backup._mirror(source, target, report)
    assert sorted(p.name for p in target.rglob("*") if p.is_file()) == ["1.1.opus"]

    # The transcriber replaces a WAV with its Opus file just as the backup copies it.
    wav = day / "1.3.wav"
    wav.write_bytes(b"RIFF old")
    copy = shutil.copy2

    def compressed_meanwhile(src: Path, dst: Path) -> object:
        if Path(src) == wav:
            wav.with_suffix(".opus").write_bytes(b"OggS new")
            wav.unlink()
        return copy(src, dst)

    monkeypatch.setattr(backup.shutil, "copy2", compressed_meanwhile)
    backup._mirror(source, target, report)
    assert (target / "2026" / "12" / "01" / "1.3.opus").read_bytes() == b"OggS new"


def test_a_restored_row_follows_its_compressed_recording(tmp_path: Path) -> None:
    settings = Settings(
        var_dir=tmp_path / "var",
        asterisk_root=tmp_path / "root",
        asterisk_instance_dir=INSTANCE,
        database_url=f"sqlite:///{tmp_path / 'hotline.db'}",
    )
    db.upgrade(settings.db_url)
    folder = settings.in_chroot(INSTANCE / "recordings")
    folder.mkdir(parents=True)
    (folder / "1.1.opus").write_bytes(b"OggS")
    (folder / "1.2.wav").write_bytes(b"RIFF")
    sessions = db.make_sessionmaker(db.make_engine(settings.db_url))
    now = datetime.now(UTC)
    with db.transaction(sessions) as s:
        for uid in ("1.1", "1.2"):
            s.add(Call(uniqueid=uid, caller_number="1", started_at=now,
                       recording_path=str(INSTANCE / "recordings" / f"{uid}.wav")))  # fmt: skip
    backup._follow_compressed(settings)
    with sessions() as s:
        paths = {c.uniqueid: c.recording_path for c in s.scalars(select(Call))}
    assert paths == {
        "1.1": str(INSTANCE / "recordings" / "1.1.opus"),
        "1.2": str(INSTANCE / "recordings" / "1.2.wav"),
    }
