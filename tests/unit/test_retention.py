"""The retention purge (PIPL) on a real SQLite database and real files: what is past its
period goes, what an open order, a report under review or an owed call-back needs stays, and
every run is audited. The last test runs the real ``hotline purge`` on an instance folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callmodel.calltypes import CallType, TicketStatus
from crm import db
from crm.domain.retention import TicketFacts, held
from crm.models import Call, CallbackAttempt, Ticket, TicketDetail, TranscriptionJob
from crm.models.workorders import AuditEntry, Caller
from crm.retention import purge
from hotline.settings import PROJECT_ROOT, Settings

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=400)
RECENT = NOW - timedelta(days=3)
INSTANCE = Path("/srv/hotline/retention-test")


@dataclass
class World:
    settings: Settings
    sessions: sessionmaker[Session]
    serial: int = 0

    @property
    def recordings(self) -> Path:
        return self.settings.asterisk_state_dir / "recordings"

    def call(
        self,
        uid: str,
        *,
        at: datetime = OLD,
        status: TicketStatus = TicketStatus.ARCHIVED,
        call_type: CallType | None = CallType.CONSULTATION,
        callback_owed: bool = False,
        number: str = "13800138000",
    ) -> None:
        """A call with its three WAV files, an utterance, a transcript, a CDR row and (if
        registered) an order with a caller register entry."""
        self.serial += 1
        self.recordings.mkdir(parents=True, exist_ok=True)
        for leg in ("", "-in", "-out"):
            (self.recordings / f"{uid}{leg}.wav").write_bytes(b"RIFF" + bytes(40))
        utterances = self.settings.asterisk_state_dir / "spool" / "utterances"
        utterances.mkdir(parents=True, exist_ok=True)
        (utterances / f"{uid}.wav").write_bytes(b"RIFF")
        asterisk_path = str(INSTANCE / "recordings" / f"{uid}.wav")
        with self.sessions() as s, s.begin():
            call = Call(uniqueid=uid, caller_number=number, started_at=at, ended_at=at,
                        recording_path=asterisk_path)  # fmt: skip
            s.add(call)
            s.flush()
            ticket = Ticket(number=f"20260101-{self.serial:04d}", call_id=call.id,
                            caller_number=number, created_at=at, call_type=call_type,
                            status=status, callback_needed=callback_owed)  # fmt: skip
            s.add(ticket)
            s.flush()
            if call_type is not None:
                caller = s.scalar(select(Caller).where(Caller.number == number))
                if caller is None:
                    caller = Caller(number=number, created_at=at)
                    s.add(caller)
                    s.flush()
                s.add(TicketDetail(ticket_id=ticket.id, caller_id=caller.id,
                                   requested_type=call_type.value, call_type=call_type.value,
                                   contact_number=number, taken_by="agent1", called_at=at,
                                   confidential=call_type is CallType.REPORT))  # fmt: skip
            s.add(CallbackAttempt(ticket_id=ticket.id, agent_extension="8001", number=number,
                                  started_at=at, status="ANSWER"))  # fmt: skip
            naive = at.replace(tzinfo=None)
            s.add(TranscriptionJob(call_uniqueid=uid, recording_path=asterisk_path,
                                   status="done", available_at=naive, created_at=naive,
                                   transcript_text="来电人：我家着火了"))  # fmt: skip
        cdr = self.settings.cdr_file
        cdr.parent.mkdir(parents=True, exist_ok=True)
        local = at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        row = ['""'] * 18
        row[1], row[9], row[16] = f'"{number}"', f'"{local}"', f'"{uid}"'
        with cdr.open("a", encoding="utf-8") as out:
            out.write(",".join(row) + "\n")

    def row(self, uid: str) -> Call:
        with self.sessions() as s:
            call = s.scalars(select(Call).where(Call.uniqueid == uid)).one()
            call.ticket  # noqa: B018 - loaded for the assertions
            return call

    def files(self, uid: str) -> list[str]:
        return sorted(p.name for p in self.recordings.glob(f"{uid}*"))

    def cdr_ids(self) -> set[str]:
        lines = self.settings.cdr_file.read_text(encoding="utf-8").splitlines()
        return {line.split(",")[16].strip('"') for line in lines}

    def job(self, uid: str) -> TranscriptionJob | None:
        with self.sessions() as s:
            return s.scalar(select(TranscriptionJob).where(TranscriptionJob.call_uniqueid == uid))


def _settings(tmp_path: Path, **retention: int) -> Settings:
    return Settings(
        var_dir=tmp_path / "var",
        asterisk_root=tmp_path / "root",
        asterisk_instance_dir=INSTANCE,
        database_url=f"sqlite:///{tmp_path / 'var' / 'hotline.db'}",
        service_user="",
        retention=retention,
    )


@pytest.fixture
def world(tmp_path: Path) -> World:
    settings = _settings(tmp_path)
    db.upgrade(settings.db_url)
    return World(settings, db.make_sessionmaker(db.make_engine(settings.db_url)))


def test_the_rule_keeps_open_orders_reports_under_review_and_owed_callbacks() -> None:
    S, T = TicketStatus, CallType
    assert held(None) is None
    assert held(TicketFacts(S.DISPATCHED, T.COMPLAINT)) == "open_order"
    assert held(TicketFacts(S.REPLIED, T.HELP)) == "open_order"
    assert held(TicketFacts(S.VISITED, T.REPORT)) == "report_under_review"
    assert held(TicketFacts(S.CALLER_ANSWERED, None, confidential=True)) == "report_under_review"
    assert held(TicketFacts(S.ARCHIVED, T.REPORT)) is None
    assert held(TicketFacts(S.REGISTERED, None, callback_owed=True)) == "callback_owed"
    # A call nobody registered (abandoned in the IVR) is no order.
    assert held(TicketFacts(S.REGISTERED, None)) is None
    assert held(TicketFacts(S.ARCHIVED, T.CONSULTATION)) is None


def test_what_is_past_its_period_goes_and_the_run_is_audited(world: World) -> None:
    world.call("100.1")  # archived consultation, 400 days old
    world.call("100.2", call_type=None, status=TicketStatus.REGISTERED)  # abandoned in the IVR
    world.call("100.3", at=RECENT)
    report = purge(world.sessions, world.settings, NOW)

    for uid in ("100.1", "100.2"):
        call = world.row(uid)
        assert world.files(uid) == []
        assert call.recording_path is None and call.recording_purged_at == NOW
        assert call.caller_number == "138****8000" == call.ticket.caller_number
        assert world.job(uid) is None
    utterances = world.settings.asterisk_state_dir / "spool" / "utterances"
    assert sorted(p.name for p in utterances.iterdir()) == ["100.3.wav"]
    assert world.cdr_ids() == {"100.3"}
    with world.sessions() as s:
        detail = s.scalars(select(TicketDetail)).first()
        assert detail is not None and detail.contact_number == "138****8000"
        assert {a.number for a in s.scalars(select(CallbackAttempt))} == {
            "138****8000",
            "13800138000",
        }
        # The register entry stays: the recent order still names it.
        assert s.scalar(select(Caller)) is not None
    recent = world.row("100.3")
    assert recent.caller_number == "13800138000" and recent.recording_path is not None
    assert len(world.files("100.3")) == 3 and world.job("100.3") is not None
    assert report.recordings_deleted == 2 and report.recording_files_deleted == 6
    assert report.transcripts_deleted == 2 and report.cdr_rows_deleted == 2
    assert report.numbers_masked == 2 and report.utterances_deleted == 2
    with world.sessions() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "retention_purge"))
    assert entry.actor == "system:retention"
    assert entry.detail["recordings_deleted"] == 2 and entry.detail["cdr_rows_deleted"] == 2
    assert entry.detail["periods"]["recordings_days"] == 180


def test_open_orders_reports_under_review_and_owed_callbacks_are_kept(world: World) -> None:
    world.call("200.1", status=TicketStatus.DISPATCHED, call_type=CallType.COMPLAINT)
    world.call("200.2", status=TicketStatus.CALLER_ANSWERED, call_type=CallType.REPORT,
               number="13900139000")  # fmt: skip
    world.call("200.3", call_type=None, status=TicketStatus.REGISTERED, callback_owed=True,
               number="13700137000")  # fmt: skip
    world.call("200.4", status=TicketStatus.ARCHIVED, call_type=CallType.REPORT,
               number="13600136000")  # fmt: skip
    report = purge(world.sessions, world.settings, NOW)

    for uid in ("200.1", "200.2", "200.3"):
        call = world.row(uid)
        assert len(world.files(uid)) == 3, uid
        assert call.recording_path is not None and "*" not in call.caller_number
        assert world.job(uid) is not None
    assert world.cdr_ids() == {"200.1", "200.2", "200.3"}
    # An archived report is done with: it goes like any other.
    assert world.files("200.4") == [] and world.row("200.4").caller_number == "136****6000"
    assert report.held == {"open_order": 1, "report_under_review": 1, "callback_owed": 1}
    with world.sessions() as s:
        numbers = {c.number for c in s.scalars(select(Caller))}
    assert numbers == {"13800138000", "13900139000"}  # the archived report's entry is gone


def test_a_second_run_finds_nothing_and_compressed_recordings_go_too(world: World) -> None:
    world.call("300.1")
    for leg in ("", "-in", "-out"):
        wav = world.recordings / f"300.1{leg}.wav"
        wav.rename(wav.with_suffix(".opus"))
    first = purge(world.sessions, world.settings, NOW)
    assert first.recording_files_deleted == 3 and world.files("300.1") == []
    second = purge(world.sessions, world.settings, NOW)
    assert second.recordings_deleted == second.numbers_masked == second.cdr_rows_deleted == 0
    with world.sessions() as s:
        assert len(list(s.scalars(select(AuditEntry)))) == 2


def test_only_rotated_logs_past_their_period_go(world: World) -> None:
    logs = world.settings.var_dir / "log"
    asterisk_logs = world.settings.asterisk_state_dir / "log"
    for folder in (logs, asterisk_logs):
        folder.mkdir(parents=True, exist_ok=True)
    live, old, fresh = logs / "crm.log", logs / "crm.log-20251101-1.gz", logs / "crm.log.1"
    old_asterisk = asterisk_logs / "messages.log-20251101-1"
    for path in (live, old, fresh, old_asterisk):
        path.write_text("x")
    past = time.time() - 60 * 86400
    for path in (live, old, old_asterisk):
        os.utime(path, (past, past))
    report = purge(world.sessions, world.settings, datetime.now(UTC))
    assert report.log_files_deleted == 2
    assert live.exists() and fresh.exists() and not old.exists() and not old_asterisk.exists()


def test_hotline_purge_runs_on_an_instance_folder(tmp_path: Path) -> None:
    """The real command, with periods of 0 days, on an instance's own configuration file."""
    settings = _settings(tmp_path)
    config = tmp_path / "hotline.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "var_dir": str(settings.var_dir),
                "asterisk_root": str(settings.asterisk_root),
                "asterisk_instance_dir": str(INSTANCE),
                "service_user": "",
                "retention": {name: 0 for name in settings.retention.model_dump()},
            }
        ),
        encoding="utf-8",
    )
    db.upgrade(settings.db_url)
    world = World(settings, db.make_sessionmaker(db.make_engine(settings.db_url)))
    world.call("400.1", at=datetime.now(UTC) - timedelta(minutes=5))
    world.call("400.2", at=datetime.now(UTC) - timedelta(minutes=5),
               status=TicketStatus.REGISTERED, call_type=CallType.REPORT)  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "hotlinectl.cli", "purge"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "HOTLINE_CONFIG": str(config)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "保存期限清理完成" in done.stdout and "report_under_review 1" in done.stdout
    assert world.files("400.1") == [] and len(world.files("400.2")) == 3
    assert world.row("400.1").caller_number == "138****8000"
    assert world.cdr_ids() == {"400.2"}


def test_cdr_times_are_read_in_asterisks_own_time_zone(tmp_path: Path) -> None:
    """Master.csv holds local times (usegmtime = no) of the zone Asterisk's root names."""
    settings = _settings(tmp_path, cdr_days=1)
    db.upgrade(settings.db_url)
    etc = settings.asterisk_root / "etc"
    etc.mkdir(parents=True)
    (etc / "localtime").symlink_to("/usr/share/zoneinfo/Asia/Shanghai")
    shanghai = ZoneInfo("Asia/Shanghai")
    cdr = settings.cdr_file
    cdr.parent.mkdir(parents=True)
    rows = []
    for uid, hours in (("500.1", 30), ("500.2", 20)):
        row = ['""'] * 18
        local = (NOW - timedelta(hours=hours)).astimezone(shanghai)
        row[9], row[16] = f'"{local:%Y-%m-%d %H:%M:%S}"', f'"{uid}"'
        rows.append(",".join(row) + "\n")
    cdr.write_text("".join(rows), encoding="utf-8")
    report = purge(db.make_sessionmaker(db.make_engine(settings.db_url)), settings, NOW)
    # 30 hours old is past one day; read as UTC it would have looked 22 hours old.
    assert report.cdr_rows_deleted == 1
    assert '"500.2"' in cdr.read_text(encoding="utf-8")
    assert '"500.1"' not in cdr.read_text(encoding="utf-8")
