"""``hotline backup DIR`` and ``hotline restore DIR``: the hotline's state, copied consistently.

A backup folder holds what cannot be rebuilt: the database (an online copy, consistent while the
CRM writes: SQLite's backup API, which a ``cp`` of a WAL database is not; ``pg_dump`` for
PostgreSQL), the FastAGI outbox (events not yet delivered), the site's configuration file, its
own dialplan templates, holiday schedule and recorded prompts, and the recordings. Recordings
are copied incrementally: a file already in the backup with the same size and time is not
copied again, so a nightly backup costs what the day added. Code, the Asterisk root and
rendered configuration are left out: ``hotline setup`` makes them again.

Restore writes the database, outbox, site files and recordings into the instance the current
settings describe (which may have other ports and folders than the one backed up); it rewrites
the recordings' paths from the backed-up instance's folder to this one's. It never starts or
stops services: the caller stops them first (``hotline restore`` refuses while they run).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hotline import recordings
from hotline.settings import Settings

MANIFEST = "manifest.json"
FORMAT = 1
# Tables whose rows hold a recording's path (as Asterisk sees it, or the host's path for the
# transcriber's jobs).
RECORDING_COLUMNS = (
    ("calls", "recording_path"),
    ("callback_attempts", "recording_path"),
    ("asr_transcription_jobs", "recording_path"),
)


class BackupError(RuntimeError):
    """The backup or restore could not be made; the message says why and what to do."""


@dataclass
class Report:
    """What a backup or restore did, for the operator and the tests."""

    folder: Path
    database: str = ""
    files: int = 0
    recordings_copied: int = 0
    recordings_kept: int = 0
    notes: list[str] = field(default_factory=list)


def _site_files(settings: Settings) -> dict[str, Path]:
    """The site's own files, by their name in the backup."""
    return {
        "config/hotline.yaml": settings.source_file,
        "config/dialplans": settings.dialplan_dir or settings.var_dir / "dialplans",
        "config/holidays.yaml": settings.site_holidays_file,
        "config/prompts": settings.prompts_dir or settings.var_dir / "prompts" / "custom",
    }


def _outbox(settings: Settings) -> Path:
    return settings.var_dir / "agi-outbox.db"


def _recordings(settings: Settings) -> Path:
    return settings.in_chroot(settings.recordings_dir)


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    return Path(parsed.database or "")


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (WAL included), through SQLite's own
    online backup, which retries pages a concurrent writer changes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=1024, sleep=0.005)
    finally:
        dst.close()
        src.close()
    os.replace(partial, target)


def _pg_env(url: str) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore connection arguments; the password goes through the environment,
    never the command line (``ps`` shows arguments to every user)."""
    parsed = make_url(url)
    args = ["--dbname", parsed.database or ""]
    if parsed.host:
        args += ["--host", parsed.host]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return args, env


def _mirror(source: Path, target: Path, report: Report) -> None:
    """Copy what is new or changed under ``source`` into ``target`` (size and mtime). A WAV the
    transcriber compresses meanwhile is copied as the Opus file that replaced it; a file
    still being written by the encoder (``.name.part``) is not copied."""
    for path in sorted(source.rglob("*")):
        if path.name.startswith(".") or not path.is_file() or path.is_symlink():
            continue
        try:
            _mirror_file(source, path, target, report)
        except FileNotFoundError:
            replaced = path.with_suffix(recordings.OPUS)
            if path.suffix == recordings.WAV and replaced.is_file():
                _mirror_file(source, replaced, target, report)


def _mirror_file(source: Path, path: Path, target: Path, report: Report) -> None:
    dest = target / path.relative_to(source)
    stat = path.stat()
    if dest.exists():
        have = dest.stat()
        if have.st_size == stat.st_size and int(have.st_mtime) == int(stat.st_mtime):
            report.recordings_kept += 1
            return
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, dest)
    report.recordings_copied += 1


def backup(settings: Settings, folder: Path) -> Report:
    """Copy the hotline's state into ``folder`` (created 0700: it holds secrets and callers'
    numbers); running again updates it, copying only recordings it does not have."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    report = Report(folder)
    started = time.time()
    sqlite_db = _sqlite_path(settings.db_url)
    if sqlite_db is not None:
        if not sqlite_db.exists():
            raise BackupError(f"数据库 {sqlite_db} 不存在：请先运行 hotline setup")
        copy_sqlite(sqlite_db, folder / "db" / "hotline.db")
        report.database = "sqlite"
    else:
        args, env = _pg_env(settings.db_url)
        (folder / "db").mkdir(exist_ok=True)
        dump = folder / "db" / "hotline.pgdump"
        done = subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), *args],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise BackupError(f"pg_dump 失败：{done.stderr.strip()}")
        report.database = "postgresql"
    if _outbox(settings).exists():
        copy_sqlite(_outbox(settings), folder / "db" / "agi-outbox.db")
    for name, path in _site_files(settings).items():
        target = folder / name
        if path.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(path, target)
            report.files += sum(1 for p in target.rglob("*") if p.is_file())
        elif path.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            target.chmod(0o600)
            report.files += 1
    if _recordings(settings).is_dir():
        _mirror(_recordings(settings), folder / "recordings", report)
    manifest = {
        "format": FORMAT,
        "created_at": started,
        "database": report.database,
        "recordings_dir": str(settings.recordings_dir),
        "recordings_host_dir": str(_recordings(settings)),
        "hotline_number": settings.hotline_number,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return report


def read_manifest(folder: Path) -> dict[str, object]:
    """The backup's manifest; ``BackupError`` if ``folder`` holds no backup of ours."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder} 不是热线备份（缺少 {MANIFEST}）") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份格式 {manifest.get('format')} 无法恢复（本程序为 {FORMAT}）")
    return manifest


def restore(settings: Settings, folder: Path, *, with_config: bool = False) -> Report:
    """Bring the backup in ``folder`` into this instance (its services stopped).

    ``with_config``: also put the backed-up configuration file in place (a new machine);
    without it this instance keeps its own ports, folders and secrets."""
    manifest = read_manifest(folder)
    report = Report(folder, database=str(manifest["database"]))
    sqlite_db = _sqlite_path(settings.db_url)
    if manifest["database"] == "sqlite":
        if sqlite_db is None:
            raise BackupError("备份来自 SQLite，本实例使用 PostgreSQL：请用同类数据库恢复")
        for suffix in ("-wal", "-shm"):
            Path(f"{sqlite_db}{suffix}").unlink(missing_ok=True)
        copy_sqlite(folder / "db" / "hotline.db", sqlite_db)
    else:
        if sqlite_db is not None:
            raise BackupError("备份来自 PostgreSQL，本实例使用 SQLite：请用同类数据库恢复")
        args, env = _pg_env(settings.db_url)
        done = subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", *args,
             str(folder / "db" / "hotline.pgdump")],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise BackupError(f"pg_restore 失败：{done.stderr.strip()}")
    if (folder / "db" / "agi-outbox.db").exists():
        copy_sqlite(folder / "db" / "agi-outbox.db", _outbox(settings))
    for name, path in _site_files(settings).items():
        source = folder / name
        if name == "config/hotline.yaml":
            if with_config and source.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, path)
                path.chmod(0o600)
                report.files += 1
            continue
        if source.is_dir():
            shutil.copytree(source, path, dirs_exist_ok=True)
            report.files += sum(1 for p in source.rglob("*") if p.is_file())
        elif source.is_file():  # the holiday schedule
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, path)
            path.chmod(0o644)
            report.files += 1
    if (folder / "recordings").is_dir():
        _mirror(folder / "recordings", _recordings(settings), report)
    moves = {
        str(manifest["recordings_dir"]): str(settings.recordings_dir),
        str(manifest["recordings_host_dir"]): str(_recordings(settings)),
    }
    for old, new in moves.items():
        if old != new:
            _move_recording_paths(settings.db_url, old, new)
            report.notes.append(f"录音路径 {old} → {new}")
    _follow_compressed(settings)
    return report


def _follow_compressed(settings: Settings) -> None:
    """A row copied while the transcriber compressed its recording may name the WAV the
    backup no longer found: point it at the Opus file that replaced it."""
    engine = create_engine(settings.db_url)
    try:
        with engine.begin() as connection:
            for table, column in RECORDING_COLUMNS:
                rows = connection.execute(
                    text(f"SELECT id, {column} FROM {table} WHERE {column} LIKE :wav"),
                    {"wav": f"%{recordings.WAV}"},
                ).all()
                for row_id, path in rows:
                    opus = str(Path(path).with_suffix(recordings.OPUS))
                    if not settings.in_chroot(path).exists() and settings.in_chroot(opus).exists():
                        connection.execute(
                            text(f"UPDATE {table} SET {column} = :opus WHERE id = :id"),
                            {"opus": opus, "id": row_id},
                        )
    finally:
        engine.dispose()


def _move_recording_paths(url: str, old: str, new: str) -> None:
    """Point recorded calls at this instance's recordings folder (whole folder names only)."""
    old, new = old.rstrip("/") + "/", new.rstrip("/") + "/"
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for table, column in RECORDING_COLUMNS:
                connection.execute(
                    text(
                        f"UPDATE {table} SET {column} = :new || substr({column}, :cut) "
                        f"WHERE substr({column}, 1, :length) = :old"
                    ),
                    {"new": new, "old": old, "cut": len(old) + 1, "length": len(old)},
                )
    finally:
        engine.dispose()
