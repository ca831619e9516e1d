"""A private hotline on free ports: its own Asterisk instance folder, CRM and FastAGI server.

Used by the integration tests and the benchmarks, so both run exactly what ``hotline start``
runs, without touching a hotline already running on the machine.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hotline.asterisk import unmount_state
from hotline.settings import Settings, load_settings
from hotlinectl import services
from hotlinectl.cli import ensure_config_file, prepare
from tests.support.sipp import free_ports

AGENT_ONE = "8001"
AGENT_TWO = "8002"
# Where test hotlines keep the files their services (running as the hotline's user) use.
SERVICE_HOMES = "/tmp"


@dataclass(frozen=True)
class Instance:
    settings: Settings
    root: Path
    emergency_port: int
    agent_ports: dict[str, int]
    # Where the carrier trunk sends call-backs (a sipp citizen answers there).
    carrier_port: int


@contextmanager
def isolated_hotline(root: Path, **overrides: Any) -> Iterator[Instance]:
    """Start a whole hotline under ``root``; stop it and remove its Asterisk folder after."""
    if os.geteuid() != 0:
        raise RuntimeError("a real hotline needs root (Asterisk chroot, sipp raw sockets)")
    # Every port of this hotline differs from the others (sipp and Asterisk bind them later).
    emergency_port, one, two, carrier, sip = free_ports(5)
    ami, agi, crm, agi_metrics, transcriber_metrics, asterisk_metrics = free_ports(
        6, socket.SOCK_STREAM
    )
    # Below the kernel's ephemeral range (32768 and up), where sipp's media ports come from.
    rtp = 20000 + (os.getpid() % 30) * 400
    # What the services read and write lives outside pytest's temporary folders: those are
    # private to root (pytest makes them 0700 again whenever a session starts) and the services
    # run as the hotline's own user.
    home = Path(tempfile.mkdtemp(prefix=f"hotline-{root.name}-", dir=SERVICE_HOMES))
    home.chmod(0o711)
    config: dict[str, Any] = {
        "var_dir": str(home / "var"),
        "asterisk_instance_dir": f"/srv/hotline/test-{os.getpid()}-{root.name}",
        "sip_port": sip,
        "ami_port": ami,
        "agi_port": agi,
        "crm_port": crm,
        "agi_metrics_port": agi_metrics,
        "transcriber_metrics_port": transcriber_metrics,
        "asterisk_metrics_port": asterisk_metrics,
        "rtp_start": rtp,
        "rtp_end": rtp + 398,
        "emergency": {"contact": f"sip:110@127.0.0.1:{emergency_port}", "dial_timeout_seconds": 10},
        "trunk": {"contact": f"sip:127.0.0.1:{carrier}", "dial_timeout_seconds": 20},
        "agents": [
            {
                "extension": AGENT_ONE,
                "name": "话务员一",
                "skills": ["general", "consult", "help"],
                "contact": f"sip:{AGENT_ONE}@127.0.0.1:{one}",
            },
            {
                "extension": AGENT_TWO,
                "name": "话务员二",
                "skills": ["general", "complaint", "suggestion"],
                "contact": f"sip:{AGENT_TWO}@127.0.0.1:{two}",
            },
        ],
    }
    config.update(overrides)
    menu = config.get("ivr_menu_file")
    if menu and Path(menu).is_relative_to(root):  # a test's own menu, which the CRM edits
        config["ivr_menu_file"] = str(home / Path(menu).name)
        shutil.copyfile(menu, config["ivr_menu_file"])
    path = home / "hotline.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    ensure_config_file(path)
    previous = os.environ.get("HOTLINE_CONFIG")
    os.environ["HOTLINE_CONFIG"] = str(path)
    try:
        settings = load_settings()
    finally:
        # Only this hotline's processes read the file; the test process keeps its own view.
        _restore(previous)
    try:
        prepare(settings)
        services.start_all(settings)
        yield Instance(settings, root, emergency_port, {AGENT_ONE: one, AGENT_TWO: two}, carrier)
    finally:
        services.stop_all(settings)
        unmount_state(settings)
        shutil.rmtree(settings.instance_host_dir, ignore_errors=True)
        # The logs stay with the test's other files; the rest goes.
        shutil.copytree(settings.var_dir / "log", root / "var-log", dirs_exist_ok=True)
        shutil.rmtree(home, ignore_errors=True)


def _restore(previous: str | None) -> None:
    if previous is None:
        os.environ.pop("HOTLINE_CONFIG", None)
    else:
        os.environ["HOTLINE_CONFIG"] = previous
