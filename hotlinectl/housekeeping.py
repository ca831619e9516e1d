"""The hotline's daily housekeeping: log rotation (Debian's logrotate) and the retention purge.

Where systemd runs the hotline, both are the platform's: Debian's ``logrotate.timer`` reads the
hotline's rule in ``/etc/logrotate.d/hotline`` and ``hotline-purge.timer`` runs ``hotline
purge`` once a day (``hotlinectl/units.py``). Under supervisord (containers, CI) there is no
timer to ask: the supervised ``housekeeping`` program is a loop of a few lines that sleeps until
the next run time, then runs logrotate on the instance's own rule and the purge, each in a
child process so nothing of them stays in the sleeping one.

The logrotate rule (rendered by ``hotline setup`` into ``var/run``, root's) covers the services'
logs in ``var/log`` (copied and truncated: supervisord keeps them open) and Asterisk's in its
state folder, reached through its mount in the root (renamed as Asterisk's user, whose folder
it is; then ``logger reload`` through ``asterisk -rx`` makes Asterisk open new files). Rotated
logs carry the date and are kept ``retention.logs_days`` days.
"""

from __future__ import annotations

import grp
import pwd
import shlex
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from hotline.asterisk import chroot_command
from hotline.settings import Settings

LOGROTATE_DIR = Path("/etc/logrotate.d")
LOGROTATE_NAME = "hotline"
# Local time of the daily run: the quietest hour of a city hotline.
DAILY_AT = (3, 30)


def logrotate_conf_file(settings: Settings) -> Path:
    return settings.var_dir / "run" / "logrotate.conf"


def logrotate_state_file(settings: Settings) -> Path:
    return settings.var_dir / "run" / "logrotate.state"


def _quote(path: Path) -> str:
    """A path for logrotate, which takes double quotes around names with spaces."""
    return f'"{path}"' if " " in str(path) else str(path)


def render_logrotate(settings: Settings) -> str:
    """The logrotate rule for this instance's logs."""
    days = settings.retention.logs_days
    keep = [
        "    daily",
        f"    rotate {max(days, 1)}",
        f"    maxage {max(days, 1)}",
        "    dateext",
        "    dateformat -%Y%m%d-%s",
        "    missingok",
        "    notifempty",
        "    compress",
        "    delaycompress",
    ]
    reload = shlex.join(
        chroot_command(
            settings,
            "/usr/sbin/asterisk",
            "-C",
            str(settings.asterisk_instance_dir / "etc" / "asterisk.conf"),
            "-rx",
            "logger reload",
        )
    )
    # Asterisk's logs as Asterisk reaches them, through the root (the state folder's own path
    # runs through var/, which Asterisk's user may not enter).
    asterisk_logs = settings.instance_host_dir / "log"
    user, group = _owner(asterisk_logs, settings.asterisk_user)
    lines = [
        f"# 12345 热线: the logs of the instance in {settings.var_dir} (written by hotline setup)",
        f"{_quote(settings.var_dir / 'log')}/*.log {{",
        *keep,
        # supervisord holds the file open: copy it, then truncate it in place.
        "    copytruncate",
        "}",
        "",
        f"{_quote(asterisk_logs)}/*.log {{",
        *keep,
        f"    su {user} {group}",
        "    nocreate",
        "    sharedscripts",
        "    postrotate",
        # Asterisk reopens its logs; a stopped Asterisk opens new ones when it starts.
        f"        {reload} >/dev/null 2>&1 || true",
        "    endscript",
        "}",
        "",
    ]
    return "\n".join(lines)


def _owner(folder: Path, fallback: str) -> tuple[str, str]:
    """Who logrotate must act as in ``folder``: its owner (Asterisk's user, whose folder is
    2770, which logrotate refuses to work in as root)."""
    try:
        stat = folder.stat()
        return pwd.getpwuid(stat.st_uid).pw_name, grp.getgrgid(stat.st_gid).gr_name
    except (FileNotFoundError, KeyError):
        pass
    try:
        pwd.getpwnam(fallback)
    except KeyError:
        return "root", "root"
    return fallback, fallback


def _write_root_file(path: Path, text: str) -> Path:
    """logrotate refuses a rule writable by anyone but root."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.new")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o644 if path.parent == LOGROTATE_DIR else 0o600)
    tmp.replace(path)
    return path


def install_logrotate(settings: Settings, folder: Path | None = None) -> Path:
    """The rule into ``var/run`` (the supervised daily run reads it there) or ``folder``
    (``/etc/logrotate.d`` for Debian's own daily logrotate)."""
    if folder is None:
        return _write_root_file(logrotate_conf_file(settings), render_logrotate(settings))
    return _write_root_file(folder / LOGROTATE_NAME, render_logrotate(settings))


def rotate_logs(settings: Settings, *, force: bool = False) -> subprocess.CompletedProcess[str]:
    """Run logrotate on the instance's rule (with its own state file)."""
    program = shutil.which("logrotate") or "/usr/sbin/logrotate"
    conf = logrotate_conf_file(settings)
    if not conf.exists():
        install_logrotate(settings)
    argv = [program, "--state", str(logrotate_state_file(settings)), str(conf)]
    if force:
        argv.insert(1, "--force")
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def next_run(now: datetime, at: tuple[int, int] = DAILY_AT) -> datetime:
    """The next daily run time after ``now`` (local time)."""
    today = now.replace(hour=at[0], minute=at[1], second=0, microsecond=0)
    return today if today > now else today + timedelta(days=1)


def daily_forever(settings: Settings) -> None:
    """The supervised daily run: sleep until the hour, rotate, purge; for ever."""
    while True:
        now = datetime.now().astimezone()
        time.sleep(max((next_run(now) - now).total_seconds(), 1.0))
        done = rotate_logs(settings)
        if done.returncode != 0:
            print(f"logrotate: {done.stderr.strip()}", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "hotlinectl.cli", "purge"], check=False)
