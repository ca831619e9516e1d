"""Recordings are compressed once transcribed: a real WAV through the real encoder (Debian's
opusenc), the call pointed at the Opus file, and the supervisor's player still served by the
real HTTP route with Range requests. A conversion that fails keeps the WAV."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crm import db
from crm.accounts.services import set_account
from crm.app import create_app
from crm.domain.access import Role
from crm.models import Call, Ticket, TranscriptionJob
from crm.transcription import compress_recording
from hotline import recordings
from hotline.settings import Settings

INSTANCE = Path("/srv/hotline/compression-test")
UID = "1733051234.7"
PASSWORD = "correct horse battery"


def _wav(path: Path, seconds: float = 3.0) -> None:
    """Speech-like audio as Asterisk records it: 8 kHz, mono, 16 bit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "synth", str(seconds),
         "sine", "300-900", "vol", "0.4"],
        check=True,
    )  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(
        var_dir=tmp_path / "var",
        asterisk_root=tmp_path / "root",
        asterisk_instance_dir=INSTANCE,
        database_url=f"sqlite:///{tmp_path / 'hotline.db'}",
        service_user="",
        ami_secret="x",
        crm_ingest_token="t",
    )
    db.upgrade(settings.db_url)
    return settings


def _recorded_call(settings: Settings) -> str:
    asterisk_path = str(INSTANCE / "recordings" / f"{UID}.wav")
    for leg in ("", "-in", "-out"):
        _wav(settings.in_chroot(INSTANCE / "recordings" / f"{UID}{leg}.wav"))
    sessions = db.make_sessionmaker(db.make_engine(settings.db_url))
    now = datetime.now(UTC)
    with db.transaction(sessions) as s:
        call = Call(uniqueid=UID, caller_number="13800138000", started_at=now, ended_at=now,
                    recording_path=asterisk_path)  # fmt: skip
        s.add(call)
        s.flush()
        s.add(Ticket(number="20261201-0001", call_id=call.id, caller_number="13800138000"))
        naive = now.replace(tzinfo=None)
        s.add(TranscriptionJob(call_uniqueid=UID, recording_path=asterisk_path, status="done",
                               available_at=naive, created_at=naive))  # fmt: skip
    return asterisk_path


def _paths(settings: Settings) -> tuple[str | None, str | None]:
    sessions = db.make_sessionmaker(db.make_engine(settings.db_url))
    with sessions() as s:
        call = s.scalars(select(Call)).one()
        job = s.scalars(select(TranscriptionJob)).one()
        return call.recording_path, job.recording_path


def test_a_transcribed_call_becomes_opus_and_plays_with_range_requests(settings: Settings) -> None:
    wav_path = _recorded_call(settings)
    folder = settings.in_chroot(INSTANCE / "recordings")
    wav_size = (folder / f"{UID}.wav").stat().st_size
    sessions = db.make_sessionmaker(db.make_engine(settings.db_url))

    new_path = compress_recording(sessions, settings, UID, wav_path)

    assert new_path == str(INSTANCE / "recordings" / f"{UID}.opus")
    assert _paths(settings) == (new_path, new_path)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{UID}{leg}.opus" for leg in ("", "-in", "-out")
    )
    opus = (folder / f"{UID}.opus").read_bytes()
    assert opus[:4] == b"OggS" and b"OpusHead" in opus[:64]
    assert len(opus) < wav_size / 4

    app = create_app(settings, connect_ami=False)
    with TestClient(app, base_url="http://testserver") as client:
        with db.transaction(app.state.sessions) as session:
            set_account(session, "qc1", PASSWORD, [Role.SUPERVISOR], display_name="质检一")
        signed = client.post(
            "/web/login", data={"username": "qc1", "password": PASSWORD}, follow_redirects=False
        )
        assert signed.status_code == 303
        url = f"/web/api/recordings/{UID}/audio"
        first = client.get(url, headers={"Range": "bytes=0-99"})
        assert first.status_code == 206
        assert first.headers["content-type"].startswith("audio/ogg")
        assert first.headers["content-range"] == f"bytes 0-99/{len(opus)}"
        assert first.content == opus[:100]
        rest = client.get(url, headers={"Range": "bytes=100-"})
        assert rest.status_code == 206 and rest.content == opus[100:]
        assert client.get(url).content == opus


def test_a_failed_conversion_keeps_the_wav_and_its_path(settings: Settings) -> None:
    wav_path = _recorded_call(settings)
    broken = settings.in_chroot(wav_path)
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio")
    sessions = db.make_sessionmaker(db.make_engine(settings.db_url))

    assert compress_recording(sessions, settings, UID, wav_path) is None

    assert broken.read_bytes().endswith(b"not really audio")
    assert _paths(settings) == (wav_path, wav_path)
    assert not list(broken.parent.glob(".*part"))
    assert recordings.media_type(broken) == "audio/wav"
