"""Render our Asterisk configuration and run Asterisk from its chroot.

Asterisk 22 lives in a Debian sid chroot (``scripts/asterisk-chroot.sh``) on Debian 12 hosts, or
natively (``asterisk_root: /``). Each hotline instance has its own folder inside that root with
its config, spool, logs and recordings, so a test run never disturbs a running hotline.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import jinja2

from hotline.settings import DIALPLAN_TEMPLATES, PROJECT_ROOT, Settings
from ivr.menu import Menu, load_menu

CHROOT_SCRIPT = PROJECT_ROOT / "scripts" / "asterisk-chroot.sh"
CONFIG_FILES = (
    "asterisk.conf",
    "modules.conf",
    "logger.conf",
    "cdr.conf",
    "rtp.conf",
    "musiconhold.conf",
    "manager.conf",
    "queues.conf",
    "pjsip.conf",
    "extensions.conf",
    "indications.conf",
    # Present so Asterisk reads our (empty) choice instead of complaining of a missing file.
    "cel.conf",
    "acl.conf",
    "udptl.conf",
    "pjproject.conf",
    "ccss.conf",
    "stasis.conf",
    "features.conf",
)
INSTANCE_SUBDIRS = (
    "etc",
    "lib",
    "spool",
    "spool/utterances",
    "run",
    "log",
    "log/cdr-csv",
    "recordings",
    "prompts",
    "prompts/moh",
)


class AsteriskError(RuntimeError):
    """Asterisk could not be prepared or did not come up; the message says what to do."""


def render_config(settings: Settings, menu: Menu) -> dict[str, str]:
    """Every file the hotline's Asterisk loads, as text, from ``dialplans/`` and the settings."""
    if not settings.ami_secret:
        raise AsteriskError("ami_secret is empty: run `hotline setup` to generate one")
    open_phones = [a.extension for a in settings.agents if not (a.password or a.contact)]
    if open_phones:
        # A phone that may register without a password would let anyone take an agent's calls.
        raise AsteriskError(
            f"agents {', '.join(open_phones)} have neither a password nor a fixed contact"
        )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(DIALPLAN_TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    context = {
        "s": settings,
        "menu": menu,
        "inst": settings.asterisk_instance_dir,
        "prompts": settings.asterisk_prompts_dir,
        "recordings": settings.recordings_dir,
        "trunk_match": [settings.bind_address],
        "wrapup_seconds": 0,
    }
    return {name: env.get_template(name).render(context) for name in CONFIG_FILES}


def chroot_command(settings: Settings, *argv: str) -> list[str]:
    """A command line that runs ``argv`` where Asterisk lives."""
    if settings.asterisk_root == Path("/"):
        return list(argv)
    return ["chroot", str(settings.asterisk_root), *argv]


def build_root(settings: Settings) -> None:
    """Build the chroot if it is absent (about a minute), and mount /proc and /dev in it."""
    if settings.asterisk_root == Path("/"):
        if not shutil.which("asterisk"):
            raise AsteriskError("asterisk_root is / but asterisk is not installed")
        return
    for action in ("build", "mount"):
        subprocess.run(
            ["bash", str(CHROOT_SCRIPT), action, str(settings.asterisk_root)], check=True
        )


def asterisk_ids(settings: Settings) -> tuple[int, int]:
    """The uid/gid of the asterisk user as the chroot knows it (not the host's)."""
    passwd = settings.asterisk_root / "etc" / "passwd"
    for line in passwd.read_text().splitlines():
        fields = line.split(":")
        if fields[0] == settings.asterisk_user:
            return int(fields[2]), int(fields[3])
    if settings.asterisk_root == Path("/"):
        entry = pwd.getpwnam(settings.asterisk_user)
        return entry.pw_uid, entry.pw_gid
    raise AsteriskError(f"user {settings.asterisk_user} not found in {passwd}")


def install_config(settings: Settings, menu: Menu | None = None) -> Path:
    """Write the rendered configuration into the instance folder; returns asterisk.conf's path."""
    menu = menu or load_menu(settings.ivr_menu_file)
    files = render_config(settings, menu)
    host_dir = settings.instance_host_dir
    uid, gid = asterisk_ids(settings)
    for sub in INSTANCE_SUBDIRS:
        path = host_dir / sub
        path.mkdir(parents=True, exist_ok=True)
        os.chown(path, uid, gid)
    os.chown(host_dir, uid, gid)
    for name, text in files.items():
        target = host_dir / "etc" / name
        target.write_text(text, encoding="utf-8")
        os.chown(target, uid, gid)
        target.chmod(0o640)
    return settings.asterisk_instance_dir / "etc" / "asterisk.conf"


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    """True once something accepts TCP connections on host:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@dataclass
class AsteriskProcess:
    """One running Asterisk for one hotline instance."""

    settings: Settings
    process: subprocess.Popen[bytes] | None = None

    @property
    def conf(self) -> str:
        return str(self.settings.asterisk_instance_dir / "etc" / "asterisk.conf")

    @property
    def pid_file(self) -> Path:
        return self.settings.instance_host_dir / "run" / "asterisk.pid"

    def start(self, timeout: float = 30.0) -> None:
        """Start Asterisk in the foreground as a child and wait until AMI answers."""
        log = open(self.settings.instance_host_dir / "log" / "console.log", "ab")  # noqa: SIM115
        argv = chroot_command(
            self.settings,
            "/usr/sbin/asterisk",
            "-f",
            "-U",
            self.settings.asterisk_user,
            "-G",
            self.settings.asterisk_user,
            "-C",
            self.conf,
        )
        self.process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        if not wait_for_port(self.settings.bind_address, self.settings.ami_port, timeout):
            self.stop()
            raise AsteriskError(
                f"Asterisk did not open AMI on {self.settings.bind_address}:"
                f"{self.settings.ami_port} within {timeout:.0f} s; see "
                f"{self.settings.instance_host_dir / 'log'}"
            )

    def cli(self, command: str, timeout: float = 10.0) -> str:
        """Run one Asterisk CLI command through the control socket."""
        argv = chroot_command(self.settings, "/usr/sbin/asterisk", "-C", self.conf, "-rx", command)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        return done.stdout

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
