"""Run Asterisk from its root: the chroot, the instance's state mounted into it, the rendered
configuration installed there, and one Asterisk process per hotline instance.

Asterisk 22 lives in a Debian sid chroot (``scripts/asterisk-chroot.sh``) on Debian 12 hosts, or
natively (``asterisk_root: /``). Each hotline instance has its own folder inside that root,
mounted from the hotline's state folder, so a test run never disturbs a running hotline and a
rebuilt root loses nothing. What the configuration says is ``hotline.rendering``'s.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hotline.rendering import AsteriskError, render_config
from hotline.settings import PROJECT_ROOT, Settings
from ivr.menu import Menu, load_menu

CHROOT_SCRIPT = PROJECT_ROOT / "scripts" / "asterisk-chroot.sh"
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
    "prompts/moh-emergency",
    # The Chinese words Asterisk says numbers with (hotline/say.py).
    "prompts/digits",
)


# The files a telephony admin edits in the browser, and the reload that applies each one.
def chroot_command(settings: Settings, *argv: str) -> list[str]:
    """A command line that runs ``argv`` where Asterisk lives."""
    if settings.asterisk_root == Path("/"):
        return list(argv)
    return ["chroot", str(settings.asterisk_root), *argv]


def asterisk_command(settings: Settings) -> list[str]:
    """The command line that runs this instance's Asterisk in the foreground, dropping root
    for its own user (-U/-G) once it has started."""
    conf = str(settings.asterisk_instance_dir / "etc" / "asterisk.conf")
    user = settings.asterisk_user
    return chroot_command(settings, "/usr/sbin/asterisk", "-f", "-U", user, "-G", user, "-C", conf)


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


def _mounted(path: Path) -> bool:
    """Whether something is mounted at ``path`` (bind mounts included, which share the
    device of their source, so ``os.path.ismount`` cannot see them)."""
    target = str(path.resolve())
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        return any(line.split()[1] == target for line in mounts if len(line.split()) > 1)


def mount_state(settings: Settings) -> None:
    """Asterisk's state for this instance (astdb, spool, logs, CDR, recordings) lives in the
    state folder (``asterisk_state_dir``) and is bind-mounted at the instance's folder in the
    root: the root stays a cache that a rebuild or upgrade may empty, the state never goes with
    it. An instance from before, whose state is still inside the root, is moved out once."""
    if settings.asterisk_root == Path("/") or _mounted(settings.instance_host_dir):
        return
    state, point = settings.asterisk_state_dir, settings.instance_host_dir
    state.mkdir(parents=True, exist_ok=True)
    point.mkdir(parents=True, exist_ok=True)
    if any(point.iterdir()) and not any(state.iterdir()):
        for child in point.iterdir():
            shutil.move(str(child), state / child.name)
    subprocess.run(["mount", "--bind", str(state), str(point)], check=True)


def unmount_state(settings: Settings) -> None:
    """The instance's state taken out of the root again (Asterisk stopped)."""
    if settings.asterisk_root != Path("/") and _mounted(settings.instance_host_dir):
        subprocess.run(["umount", str(settings.instance_host_dir)], check=True)


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


def install_config(
    settings: Settings, menu: Menu | None = None, files: Mapping[str, str] | None = None
) -> Path:
    """Write the rendered configuration into the instance folder; returns asterisk.conf's path.

    ``files``: the configuration already rendered and checked (``validate_config``); without
    it, it is rendered and checked here."""
    if files is None:
        files = render_config(settings, menu or load_menu(settings.ivr_menu_file))
    host_dir = settings.instance_host_dir
    uid, gid = asterisk_ids(settings)
    root = os.geteuid() == 0
    for sub in ("", *INSTANCE_SUBDIRS):
        path = host_dir / sub
        path.mkdir(parents=True, exist_ok=True)
        if root:
            # Asterisk's user and group only; setgid, so what the CRM (a group member)
            # writes here stays readable by Asterisk.
            os.chown(path, uid, gid)
            path.chmod(0o2770)
    for name, text in files.items():
        # A new file put in place: the CRM replaces files that setup created.
        fd, tmp = tempfile.mkstemp(dir=host_dir / "etc", prefix=f".{name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if root:
            os.chown(tmp, uid, gid)
        os.chmod(tmp, 0o640)
        os.replace(tmp, host_dir / "etc" / name)
    return settings.asterisk_instance_dir / "etc" / "asterisk.conf"


def share_prompts(settings: Settings) -> None:
    """The prompts setup made, writable by Asterisk's group: the CRM (a member) remakes them
    when the admin console changes the menu's text."""
    if os.geteuid() != 0:
        return
    uid, gid = asterisk_ids(settings)
    for folder, _, names in os.walk(settings.in_chroot(settings.asterisk_prompts_dir)):
        for name in names:
            path = Path(folder) / name
            os.chown(path, uid, gid)
            path.chmod(0o660)


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
        argv = asterisk_command(self.settings)
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
