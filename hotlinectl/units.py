"""systemd units for a production hotline: ``hotline install-units``.

One unit per service, grouped by ``hotline.target`` so the hotline starts at boot and stops as
one. Each unit runs exactly the command ``hotline start`` runs (``hotlinectl.services``), restarts
by itself within seconds when it dies, and is sandboxed: a read-only system, write access only
to the hotline's state folders, no new privileges. The transcriber runs at a low CPU weight so
that decoding yesterday's recordings never starves the IVR's urgent-speech decision or the CRM.

Once a day ``hotline-purge.timer`` runs ``hotline purge`` (the retention periods, PIPL) and
Debian's own logrotate reads the hotline's rule in ``/etc/logrotate.d/hotline``.

Asterisk keeps running as it does under ``hotline start`` (``chroot`` into its root, dropping to
its own user with ``-U``), so both ways of running the hotline run the same thing.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from hotline.asterisk import CHROOT_SCRIPT
from hotline.settings import PROJECT_ROOT, Settings
from hotlinectl import housekeeping, services

TARGET = "hotline.target"
PURGE = "hotline-purge"
# The system user the CRM, FastAGI server and transcriber run as (created by hotline setup).
SERVICE_USER = "hotline"
DESCRIPTIONS = {
    "asterisk": "12345 热线: Asterisk 22",
    "crm": "12345 热线: 工单系统 (CRM, AMI bridge, consoles)",
    "agi": "12345 热线: FastAGI IVR server",
    "transcriber": "12345 热线: offline transcription",
}


@dataclass(frozen=True)
class Unit:
    name: str
    text: str


def _exec(argv: list[str]) -> str:
    """A command line for ExecStart=, whose program systemd wants as an absolute path."""
    program = shutil.which(argv[0]) or argv[0]
    return shlex.join([program, *argv[1:]])


def _service_unit(settings: Settings, service: services.Service) -> str:
    state = [settings.var_dir, settings.instance_host_dir]
    lines = [
        "[Unit]",
        f"Description={DESCRIPTIONS[service.name]}",
        f"PartOf={TARGET}",
        "After=network-online.target"
        + ("" if service.name == "asterisk" else f" {services.unit_name('asterisk')}"),
        "Wants=network-online.target",
        # Restart=always for ever: a hotline never gives up on a service.
        "StartLimitIntervalSec=0",
        "",
        "[Service]",
        "Type=simple",
        f"Environment=HOTLINE_CONFIG={settings.source_file}",
        f"WorkingDirectory={PROJECT_ROOT}",
    ]
    if service.name == "asterisk":
        lines += [
            f"ExecStartPre={_exec(['/bin/bash', str(CHROOT_SCRIPT), 'mount', str(settings.asterisk_root)])}",  # noqa: E501
            # Asterisk chroots and drops to its own user (-U/-G) itself.
            "CapabilityBoundingSet=CAP_SYS_CHROOT CAP_SETUID CAP_SETGID CAP_CHOWN "
            "CAP_DAC_OVERRIDE CAP_FOWNER CAP_SYS_ADMIN CAP_NET_BIND_SERVICE CAP_SYS_NICE",
        ]
    else:
        lines += [f"User={SERVICE_USER}", f"Group={SERVICE_USER}"]
    lines += [
        f"ExecStart={_exec(service.argv)}",
        "Restart=always",
        "RestartSec=2",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=read-only",
        "PrivateTmp=yes",
        "ProtectKernelTunables=yes",
        "ProtectControlGroups=yes",
        "RestrictSUIDSGID=yes",
        f"UMask=0{service.umask}",
        "ReadWritePaths=" + " ".join(str(path) for path in state),
    ]
    if service.name == "transcriber":
        lines += ["CPUWeight=20", "Nice=10", "IOSchedulingClass=idle"]
    lines += ["", "[Install]", f"WantedBy={TARGET}", ""]
    return "\n".join(lines)


def _purge_units(settings: Settings) -> list[Unit]:
    """The daily purge: a oneshot as root (it deletes Asterisk's files, root's logs and the
    services' rows), in the same sandbox, and its timer (a missed run is made up at boot)."""
    state = [settings.var_dir, settings.asterisk_state_dir]
    service = "\n".join(
        [
            "[Unit]",
            "Description=12345 热线: retention purge (PIPL)",
            "",
            "[Service]",
            "Type=oneshot",
            f"Environment=HOTLINE_CONFIG={settings.source_file}",
            f"WorkingDirectory={PROJECT_ROOT}",
            f"ExecStart={_exec([sys.executable, '-m', 'hotlinectl.cli', 'purge'])}",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "ProtectHome=read-only",
            "PrivateTmp=yes",
            "UMask=0027",
            "Nice=10",
            "IOSchedulingClass=idle",
            "ReadWritePaths=" + " ".join(str(path) for path in dict.fromkeys(state)),
            "",
        ]
    )
    timer = "\n".join(
        [
            "[Unit]",
            "Description=12345 热线: daily retention purge",
            "",
            "[Timer]",
            "OnCalendar=*-*-* {:02d}:{:02d}:00".format(*housekeeping.DAILY_AT),
            "RandomizedDelaySec=15min",
            "Persistent=true",
            "",
            "[Install]",
            "WantedBy=timers.target",
            "",
        ]
    )
    return [Unit(f"{PURGE}.service", service), Unit(f"{PURGE}.timer", timer)]


def render_units(settings: Settings) -> list[Unit]:
    """The target, one unit per service and the daily purge, as text."""
    table = services.services(settings)
    units = [
        Unit(services.unit_name(name), _service_unit(settings, table[name]))
        for name in services.SERVICE_ORDER
    ]
    units += _purge_units(settings)
    wants = " ".join(
        [*(services.unit_name(name) for name in services.SERVICE_ORDER), f"{PURGE}.timer"]
    )
    target = "\n".join(
        [
            "[Unit]",
            "Description=12345 热线",
            f"Wants={wants}",
            "",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ]
    )
    return [*units, Unit(TARGET, target)]


def install_units(
    settings: Settings,
    unit_dir: Path = services.UNIT_DIR,
    *,
    enable: bool = True,
    logrotate_dir: Path = housekeeping.LOGROTATE_DIR,
) -> list[Path]:
    """Write the units and the logrotate rule; where systemd runs, enable and start the
    hotline under it."""
    unit_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for unit in render_units(settings):
        path = unit_dir / unit.name
        path.write_text(unit.text, encoding="utf-8")
        path.chmod(0o644)
        written.append(path)
    written.append(housekeeping.install_logrotate(settings, logrotate_dir))
    if enable and services.systemd_running():
        subprocess.run(["systemctl", "daemon-reload"], check=True)
        subprocess.run(["systemctl", "enable", "--now", TARGET, f"{PURGE}.timer"], check=True)
    return written
