"""Start, stop and watch the hotline's processes on one box (pid files under var/run).

Each service is an ordinary foreground program started in its own session with its output in
var/log/<name>.log, so ``hotline stop`` (or a test's teardown) can end exactly what it started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline import users
from hotline.asterisk import asterisk_command, wait_for_port
from hotline.settings import Settings

SERVICE_ORDER = ("asterisk", "crm", "agi", "transcriber")
# A service without a port is up once it has stayed alive this long.
SETTLE_SECONDS = 1.0


@dataclass(frozen=True)
class Service:
    name: str
    argv: list[str]
    port: int | None
    # Asterisk drops root itself (-U/-G, after binding); the others never have it.
    as_service_user: bool = True


def services(settings: Settings) -> dict[str, Service]:
    python = sys.executable
    return {
        "asterisk": Service(
            "asterisk",
            asterisk_command(settings),
            settings.ami_port,
            as_service_user=False,
        ),
        "crm": Service("crm", [python, "-m", "crm"], settings.crm_port),
        "agi": Service("agi", [python, "-m", "agi"], settings.agi_port),
        "transcriber": Service("transcriber", [python, "-m", "crm.transcription"], None),
    }


def _pid_file(settings: Settings, name: str) -> Path:
    return settings.var_dir / "run" / f"{name}.pid"


def pid_of(settings: Settings, name: str) -> int | None:
    """The service's pid if it is running, else None (stale pid files are ignored)."""
    path = _pid_file(settings, name)
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def start(settings: Settings, name: str, timeout: float = 30.0) -> int:
    """Start one service unless it runs already; wait until its port answers."""
    running = pid_of(settings, name)
    if running:
        return running
    service = services(settings)[name]
    (settings.var_dir / "run").mkdir(parents=True, exist_ok=True)
    (settings.var_dir / "log").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HOTLINE_CONFIG=str(settings.source_file))
    identity = users.service_identity(settings) if service.as_service_user else None
    drop: dict[str, Any] = {}
    if identity is not None:
        # Files root made since the last start (a migration, a database opened by a tool)
        # go to the service user first, or the service could not write them.
        users.hand_over_var(settings)
        uid, gid, groups = identity
        drop = {"user": uid, "group": gid, "extra_groups": groups, "umask": 0o027}
        env["HOME"] = str(settings.var_dir)
    with open(settings.var_dir / "log" / f"{name}.log", "ab") as log:
        process = subprocess.Popen(
            service.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
            **drop,
        )
    _pid_file(settings, name).write_text(str(process.pid))
    log_file = settings.var_dir / "log" / f"{name}.log"
    if service.port is None:
        time.sleep(SETTLE_SECONDS)
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited at start; see {log_file}")
    elif not wait_for_port(settings.bind_address, service.port, timeout):
        stop(settings, name)
        raise RuntimeError(
            f"{name} did not open port {service.port} within {timeout:.0f} s; see {log_file}"
        )
    return process.pid


def stop(settings: Settings, name: str, timeout: float = 10.0) -> bool:
    """Stop one service (SIGTERM, then SIGKILL); True if it was running."""
    pid = pid_of(settings, name)
    _pid_file(settings, name).unlink(missing_ok=True)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        _reap(pid)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    _reap(pid)
    return True


def _reap(pid: int) -> None:
    """Collect a child we started ourselves (tests), so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def start_all(settings: Settings) -> None:
    for name in SERVICE_ORDER:
        start(settings, name)


def stop_all(settings: Settings) -> None:
    for name in reversed(SERVICE_ORDER):
        stop(settings, name)
