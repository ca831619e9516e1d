"""Start, stop and watch the hotline's processes on one box, under supervisord.

Where systemd is not PID 1 (containers, CI, a plain ``hotline start``), each hotline instance has
its own supervisord (the maintained ``supervisor`` package), configured in var/run: it starts
every service as an ordinary foreground program, restarts one within seconds when it dies
(``autorestart``), and rotates its output in var/log/<name>.log. Production machines run the same
commands as systemd units (``hotlinectl.units``). The services are started in order, each once its
predecessor answers, so Asterisk's AMI is up before the CRM connects.

supervisord is driven through its XML-RPC interface on a Unix socket only root can open. Where
systemd runs the hotline (``hotline install-units``), the same functions ask ``systemctl``.

supervisord runs as root (it starts Asterisk, which drops root itself) and starts the CRM, the
FastAGI server and the transcriber as the hotline's own user (``hotline.users``). Its
configuration, socket and pid file (var/run) and the logs it writes as root (var/log) stay
root's: were they the service user's, that user could swap a log for a link to a system file,
or add a program to the configuration, and have root write or run it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supervisor.xmlrpc import SupervisorTransport

from hotline import users
from hotline.asterisk import asterisk_command, wait_for_port
from hotline.settings import PROJECT_ROOT, Settings

SERVICE_ORDER = ("asterisk", "crm", "agi", "transcriber")
# A service without a port is up once it has stayed alive this long.
SETTLE_SECONDS = 1.0
# supervisord's own start-up: the socket answers within a second on an idle machine.
SUPERVISOR_START_SECONDS = 15.0
UNIT_DIR = Path("/etc/systemd/system")
# The daily log rotation and retention purge (hotlinectl/housekeeping.py): started with
# supervisord itself, as root (it rotates root's logs and deletes Asterisk's old files).
HOUSEKEEPING = "housekeeping"
LOG_BYTES = "20MB"
LOG_BACKUPS = 5


@dataclass(frozen=True)
class Service:
    name: str
    argv: list[str]
    port: int | None
    # Asterisk drops root itself (-U/-G, after binding); the others never have it.
    as_service_user: bool = True
    # Nothing for other users. Asterisk's files stay writable by its group, the services'
    # user among them: MixMonitor makes a folder per day, where the transcriber puts the
    # compressed recording beside the WAV.
    umask: str = "027"


def services(settings: Settings) -> dict[str, Service]:
    python = sys.executable
    return {
        "asterisk": Service(
            "asterisk",
            asterisk_command(settings),
            settings.ami_port,
            as_service_user=False,
            umask="007",
        ),
        "crm": Service("crm", [python, "-m", "crm"], settings.crm_port),
        "agi": Service("agi", [python, "-m", "agi"], settings.agi_port),
        "transcriber": Service("transcriber", [python, "-m", "crm.transcription"], None),
    }


def unit_name(service: str) -> str:
    return f"hotline-{service}.service"


def systemd_running() -> bool:
    """True where systemd is PID 1 (not in containers or CI)."""
    return Path("/run/systemd/system").is_dir()


def under_systemd(settings: Settings, unit_dir: Path = UNIT_DIR) -> bool:
    """True where systemd runs this very hotline: its units are installed for this
    configuration file. A second instance on the same machine (a test) uses supervisord."""
    if not systemd_running():
        return False
    unit = unit_dir / unit_name("crm")
    return unit.exists() and f"HOTLINE_CONFIG={settings.source_file}\n" in unit.read_text()


def _systemctl(*args: str) -> str:
    done = subprocess.run(["systemctl", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0 and args[0] != "show":
        raise RuntimeError(f"systemctl {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def _run_dir(settings: Settings) -> Path:
    return settings.var_dir / "run"


def _log_dir(settings: Settings) -> Path:
    return settings.var_dir / "log"


def _conf_file(settings: Settings) -> Path:
    return _run_dir(settings) / "supervisord.conf"


def _socket(settings: Settings) -> Path:
    """supervisord's socket; a Unix socket path has at most 107 bytes, so a deep var_dir
    gets one in the temporary folder, named after it."""
    path = _run_dir(settings) / "supervisor.sock"
    if len(str(path).encode()) < 100:
        return path
    digest = hashlib.sha256(str(settings.var_dir).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"hotline-{digest}.sock"


def _quote(value: str) -> str:
    """A value for supervisord's configuration, where ``%`` starts an expansion."""
    return value.replace("%", "%%")


def render_supervisor_conf(settings: Settings) -> str:
    """supervisord's configuration for this instance: one program per service."""
    sock = _quote(str(_socket(settings)))
    log_dir, run_dir = _log_dir(settings), _run_dir(settings)
    lines = [
        "[unix_http_server]",
        f"file={sock}",
        "chmod=0700",
        "",
        "[supervisord]",
        f"logfile={_quote(str(log_dir / 'supervisord.log'))}",
        f"logfile_maxbytes={LOG_BYTES}",
        f"logfile_backups={LOG_BACKUPS}",
        f"pidfile={_quote(str(run_dir / 'supervisord.pid'))}",
        f"childlogdir={_quote(str(log_dir))}",
        f"identifier=hotline:{_quote(str(settings.var_dir))}",
        # The logs it writes hold what the services say: root's and the services' group's.
        "umask=027",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{sock}",
    ]
    identity = users.service_identity(settings)
    for name in SERVICE_ORDER:
        service = services(settings)[name]
        environment = f'HOTLINE_CONFIG="{_quote(str(settings.source_file))}"'
        user = []
        if identity is not None and service.as_service_user:
            environment += f',HOME="{_quote(str(settings.var_dir))}"'
            user = [f"user={settings.service_user}"]
        # Started one by one by start_all, in order; restarted by supervisord when they die.
        lines += _program(settings, name, service.argv, environment, [*user, "autostart=false",
                          f"startsecs={SETTLE_SECONDS:g}", "startretries=10"],
                          umask=service.umask)  # fmt: skip
    # It sleeps until the daily hour: nothing to wait for, so it starts with supervisord.
    housekeeping = [sys.executable, "-m", "hotlinectl.cli", HOUSEKEEPING]
    environment = f'HOTLINE_CONFIG="{_quote(str(settings.source_file))}"'
    lines += _program(settings, HOUSEKEEPING, housekeeping, environment,
                      ["autostart=true", "startsecs=0"])  # fmt: skip
    return "\n".join(lines) + "\n"


def _program(
    settings: Settings,
    name: str,
    argv: list[str],
    environment: str,
    own: list[str],
    umask: str = "027",
) -> list[str]:
    """One ``[program:…]`` section; whatever a service makes (recordings, CDR, logs, the
    outbox) is for the hotline's users only (``Service.umask``)."""
    return [
        "",
        f"[program:{name}]",
        f"command={_quote(shlex.join(argv))}",
        f"directory={_quote(str(PROJECT_ROOT))}",
        f"environment={environment}",
        f"umask={umask}",
        *own,
        "autorestart=true",
        "stopsignal=TERM",
        "stopwaitsecs=10",
        "stopasgroup=true",
        "killasgroup=true",
        "redirect_stderr=true",
        f"stdout_logfile={_quote(str(_log_dir(settings) / f'{name}.log'))}",
        f"stdout_logfile_maxbytes={LOG_BYTES}",
        f"stdout_logfile_backups={LOG_BACKUPS}",
    ]


def _rpc(settings: Settings) -> Any:
    transport = SupervisorTransport(None, None, f"unix://{_socket(settings)}")
    return xmlrpc.client.ServerProxy("http://localhost", transport=transport)


def _supervisor_answers(settings: Settings) -> bool:
    if not _socket(settings).exists():
        return False
    try:
        return _rpc(settings).supervisor.getState()["statename"] == "RUNNING"
    except (OSError, xmlrpc.client.Error):
        return False


def _keep_roots(settings: Settings) -> None:
    """var/run root's alone; var/log root's, readable by the services' group."""
    run, logs = _run_dir(settings), _log_dir(settings)
    run.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    if not users.is_root():
        return
    identity = users.service_identity(settings)
    gid = identity[1] if identity else 0
    os.chown(run, 0, 0)
    run.chmod(0o700)
    os.chown(logs, 0, gid)
    logs.chmod(0o750)
    for path in logs.iterdir():
        if path.is_symlink():
            path.unlink()  # never followed by root
        elif path.is_file():
            os.chown(path, 0, gid)
            path.chmod(0o640)


def ensure_supervisor(settings: Settings) -> None:
    """supervisord for this instance, running with the current configuration."""
    _keep_roots(settings)
    conf = _conf_file(settings)
    text = render_supervisor_conf(settings)
    changed = not conf.exists() or conf.read_text(encoding="utf-8") != text
    if changed:
        conf.write_text(text, encoding="utf-8")
        conf.chmod(0o600)
    if _supervisor_answers(settings):
        if changed:
            _reload(settings)
        return
    subprocess.run(
        [sys.executable, "-m", "supervisor.supervisord", "-c", str(conf)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + SUPERVISOR_START_SECONDS
    while not _supervisor_answers(settings):
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"supervisord did not answer within {SUPERVISOR_START_SECONDS:.0f} s; "
                f"see {_log_dir(settings) / 'supervisord.log'}"
            )
        time.sleep(0.05)


def _reload(settings: Settings) -> None:
    """Take a changed configuration, as ``supervisorctl update`` does: changed programs are
    stopped and added again (they start again when start_all reaches them)."""
    rpc = _rpc(settings)
    [[added, changed, removed]] = rpc.supervisor.reloadConfig()
    for name in changed + removed:
        with contextlib.suppress(xmlrpc.client.Fault):  # not running
            rpc.supervisor.stopProcess(name)
        rpc.supervisor.removeProcessGroup(name)
    for name in added + changed:
        rpc.supervisor.addProcessGroup(name)


def _info(settings: Settings, name: str) -> dict[str, Any] | None:
    if not _supervisor_answers(settings):
        return None
    try:
        info: dict[str, Any] = _rpc(settings).supervisor.getProcessInfo(name)
    except xmlrpc.client.Fault:
        return None
    return info


def pid_of(settings: Settings, name: str) -> int | None:
    """The service's pid while it is running, else None."""
    if under_systemd(settings):
        pid = _systemctl("show", "--property=MainPID", "--value", unit_name(name))
        return int(pid) if pid.isdigit() and int(pid) else None
    info = _info(settings, name)
    if info is None or info["statename"] not in ("RUNNING", "STARTING") or not info["pid"]:
        return None
    return int(info["pid"])


def start(settings: Settings, name: str, timeout: float = 30.0) -> int:
    """Start one service unless it runs already; wait until its port answers."""
    service = services(settings)[name]
    if under_systemd(settings):
        _systemctl("start", unit_name(name))
        if service.port is not None:
            wait_for_port(settings.bind_address, service.port, timeout)
        return pid_of(settings, name) or 0
    ensure_supervisor(settings)
    log_file = _log_dir(settings) / f"{name}.log"
    if service.as_service_user:
        # Files root made since the last start (a migration, a database opened by a tool)
        # go to the service user first, or the service could not write them.
        users.hand_over_var(settings)
    if pid_of(settings, name) is None:
        try:
            _rpc(settings).supervisor.startProcess(name, False)
        except xmlrpc.client.Fault as fault:
            if "ALREADY_STARTED" not in fault.faultString:
                raise RuntimeError(
                    f"{name} could not start ({fault.faultString}); see {log_file}"
                ) from None
    deadline = time.monotonic() + timeout
    if service.port is None:
        while True:
            info = _info(settings, name)
            state = info["statename"] if info else "UNKNOWN"
            if state == "RUNNING":
                break
            if state in ("BACKOFF", "FATAL", "EXITED") or time.monotonic() > deadline:
                raise RuntimeError(f"{name} exited at start; see {log_file}")
            time.sleep(0.05)
    elif not wait_for_port(settings.bind_address, service.port, timeout):
        stop(settings, name)
        raise RuntimeError(
            f"{name} did not open port {service.port} within {timeout:.0f} s; see {log_file}"
        )
    pid = pid_of(settings, name)
    if pid is None:
        raise RuntimeError(f"{name} exited at start; see {log_file}")
    return pid


def stop(settings: Settings, name: str) -> bool:
    """Stop one service (SIGTERM, SIGKILL after 10 s); True if it was running. supervisord
    does not restart a service stopped on purpose."""
    if pid_of(settings, name) is None:
        return False
    if under_systemd(settings):
        _systemctl("stop", unit_name(name))
        return True
    try:
        _rpc(settings).supervisor.stopProcess(name, True)
    except xmlrpc.client.Fault as fault:
        if "NOT_RUNNING" not in fault.faultString:
            raise
    return True


def start_all(settings: Settings) -> None:
    for name in SERVICE_ORDER:
        start(settings, name)


def stop_all(settings: Settings) -> None:
    """Stop every service, then this instance's supervisord."""
    if under_systemd(settings):
        _systemctl("stop", "hotline.target", *map(unit_name, SERVICE_ORDER))
        return
    if not _supervisor_answers(settings):
        return
    for name in reversed(SERVICE_ORDER):
        stop(settings, name)
    pid_file = _run_dir(settings) / "supervisord.pid"
    with contextlib.suppress(OSError, xmlrpc.client.Error):  # already going
        _rpc(settings).supervisor.shutdown()
    deadline = time.monotonic() + 10
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
