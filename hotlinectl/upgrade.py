"""``hotline upgrade``: take Asterisk's security updates and the hotline's new code without
cutting a citizen off.

In order: a backup (``hotlinectl.backup``) into var/backups, kept beside the last few; the Asterisk
root's packages upgraded, or the root rebuilt from nothing (``--rebuild``, or by itself when its
Asterisk no longer runs) beside the running one, with the instance's state mounted into it (the
root holds no state: ``hotline.asterisk.mount_state``); Asterisk restarted
"when convenient" — Asterisk's own ``core stop when convenient`` waits until no call is up, and the
supervisor (supervisord or systemd) starts it again at once; the database migrated; the CRM and the
transcriber restarted on the new code. The FastAGI server is restarted last: a call in its IVR at
that moment falls through to the dialplan's own menu, and key 1 still reaches 110.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from crm import db
from hotline import say, users
from hotline.asterisk import CHROOT_SCRIPT, AsteriskProcess, mount_state, wait_for_port
from hotline.settings import Settings
from hotlinectl import backup, services

KEEP_BACKUPS = 3


class UpgradeError(RuntimeError):
    """The upgrade stopped; what runs keeps running, the message says what to do."""


@dataclass
class UpgradeReport:
    backup: Path
    asterisk_before: str = ""
    asterisk_after: str = ""
    asterisk_restarted: bool = False
    notes: list[str] = field(default_factory=list)


def _backups_dir(settings: Settings) -> Path:
    return settings.var_dir / "backups"


def _backup_first(settings: Settings) -> Path:
    folder = _backups_dir(settings) / datetime.now().strftime("before-upgrade-%Y%m%d-%H%M%S")
    backup.backup(settings, folder)
    kept = sorted(_backups_dir(settings).glob("before-upgrade-*"))
    for old in kept[:-KEEP_BACKUPS]:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def asterisk_version(settings: Settings) -> str:
    """What the root's Asterisk says it is (``asterisk -V``), '' without one."""
    argv = ["/usr/sbin/asterisk", "-V"]
    if settings.asterisk_root != Path("/"):
        argv = ["chroot", str(settings.asterisk_root), *argv]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def _root_script(settings: Settings, action: str, root: Path, failure: str) -> None:
    if settings.asterisk_root == Path("/"):
        raise UpgradeError("Asterisk 由本机的软件包管理：请用 apt-get upgrade 升级")
    done = subprocess.run(
        ["bash", str(CHROOT_SCRIPT), action, str(root)], capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise UpgradeError(f"{failure}：{done.stderr.strip()[-2000:]}")


def upgrade_packages(settings: Settings) -> None:
    """The Asterisk root's packages to their newest versions (``apt-get``, as root)."""
    _root_script(settings, "upgrade", settings.asterisk_root, "Asterisk 软件包升级失败")


def old_root(settings: Settings) -> Path:
    """Where the root a rebuild replaced waits until its Asterisk has stopped."""
    return settings.asterisk_root.with_name(settings.asterisk_root.name + ".old")


def rebuild_root(settings: Settings) -> None:
    """A new Asterisk root from nothing, ready for the next start: packages, /proc and /dev,
    Asterisk's user with the ids the state's files carry, the instance's state mounted, the
    Chinese words it says numbers with (hotline.say). The
    running Asterisk stays in the root it started in until it restarts."""
    _root_script(settings, "rebuild", settings.asterisk_root, "Asterisk 根目录重建失败")
    users.ensure_users(settings)
    mount_state(settings)
    say.install_number_words(settings)


def remove_old_root(settings: Settings) -> None:
    """The replaced root removed (its mounts undone first: the state is never deleted)."""
    if old_root(settings).exists():
        _root_script(settings, "remove", old_root(settings), "旧的 Asterisk 根目录未能删除")


def restart_asterisk_when_idle(settings: Settings, wait_seconds: float) -> bool:
    """Asterisk stops once no call is up (its own ``when convenient``) and the supervisor
    starts it again; True once it is back, False if calls kept it up for ``wait_seconds``
    (the stop stays pending, so it still happens when the last call ends)."""
    before = services.pid_of(settings, "asterisk")
    if before is None:
        return False
    AsteriskProcess(settings).cli("core stop when convenient")
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        now = services.pid_of(settings, "asterisk")
        if now is not None and now != before:
            return wait_for_port(settings.bind_address, settings.ami_port, 30)
        time.sleep(0.2)
    return False


def upgrade(
    settings: Settings,
    *,
    packages: bool = True,
    rebuild: bool = False,
    wait_seconds: float = 600,
) -> UpgradeReport:
    """The whole upgrade (see the module docstring)."""
    report = UpgradeReport(_backup_first(settings))
    report.asterisk_before = asterisk_version(settings)
    # A root whose Asterisk no longer runs cannot be upgraded in place: it is built again.
    rebuild = rebuild or (packages and not report.asterisk_before)
    if rebuild:
        rebuild_root(settings)
    elif packages:
        upgrade_packages(settings)
    report.asterisk_after = asterisk_version(settings)
    report.asterisk_restarted = restart_asterisk_when_idle(settings, wait_seconds)
    still_running = not report.asterisk_restarted and services.pid_of(settings, "asterisk")
    if still_running:
        report.notes.append(
            f"仍有通话：Asterisk 将在最后一通电话结束后自动重启（已等待 {wait_seconds:.0f} 秒）"
        )
    if not still_running:
        remove_old_root(settings)
    elif rebuild:
        report.notes.append(
            f"旧的根目录 {old_root(settings)} 在 Asterisk 重启后删除："
            "届时运行 hotline upgrade --no-packages"
        )
    db.upgrade(settings.db_url)
    for name in ("crm", "transcriber", "agi"):
        if services.stop(settings, name):
            services.start(settings, name)
    return report
