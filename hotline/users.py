"""The hotline's own system users, and who owns which of its files.

Nothing of the hotline runs as root once it is up:

* Asterisk runs as ``asterisk_user`` (``hotline-asterisk``), a system user created on the host
  by setup and given the same uid and gid inside the chroot. The chroot's own ``asterisk``
  user (uid 101 in Debian's package) is left alone: on the host uid 101 is whoever came first
  (PostgreSQL's ``postgres`` on a test box), and whoever had it could read the AMI secret and
  SIP passwords and write recordings.
* The CRM, the FastAGI server and the transcriber run as ``service_user`` (``hotline``), also a
  system user, a member of Asterisk's group so it can read recordings and install the
  configuration the admin console saves.

Who may read what: the instance folder in the chroot belongs to Asterisk's user and group
(directories 2770: setgid, so what the CRM writes there stays readable by Asterisk; no access
for anyone else), ``var/`` and the settings file belong to the service user (0750 / 0640,
databases and the settings file 0600). Setup runs as root; these functions do nothing when
they are not root, so a developer can run the services as themself.
"""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
from pathlib import Path

from hotline.settings import Settings

NOLOGIN = "/usr/sbin/nologin"
# Under var/: large downloads that are only read (models), what stays root's: the
# supervisor's configuration and socket (run) and the logs root writes (log), see
# hotlinectl/services.py, and Asterisk's own state (asterisk, hotline/asterisk.py:mount_state).
UNTOUCHED = {"models", "run", "log", "asterisk"}
PRIVATE_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal", ".yaml")


class UserError(RuntimeError):
    """A system user could not be made as the hotline needs it; the message says why."""


def is_root() -> bool:
    return os.geteuid() == 0


def ensure_host_user(name: str, comment: str, groups: tuple[str, ...] = ()) -> pwd.struct_passwd:
    """The host's system user ``name`` with a group of its own, created if missing
    (``useradd --system``), and a member of ``groups``."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
             "/nonexistent", "--shell", NOLOGIN, "--comment", comment, name],
            check=True, capture_output=True,
        )  # fmt: skip
        entry = pwd.getpwnam(name)
    for group in groups:
        if name not in grp.getgrnam(group).gr_mem:
            subprocess.run(["usermod", "--append", "--groups", group, name], check=True)
    return entry


def _rewrite_entry(path: Path, name: str, entry: str, taken_by_id: int, id_field: int) -> None:
    """Put ``entry`` (a passwd or group line) for ``name`` in ``path``; refuse if another
    name there already has its id."""
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = []
    for line in lines:
        fields = line.split(":")
        if fields[0] == name:
            continue
        if len(fields) > id_field and fields[id_field] == str(taken_by_id):
            raise UserError(f"{path}: id {taken_by_id} already belongs to {fields[0]}")
        kept.append(line)
    if f"{entry}" in lines:
        return
    kept.append(entry)
    tmp = path.with_name(f".{path.name}.hotline")
    tmp.write_text("\n".join(kept) + "\n", encoding="utf-8")
    tmp.chmod(path.stat().st_mode & 0o777)
    os.replace(tmp, path)


def ensure_chroot_user(root: Path, name: str, uid: int, gid: int) -> None:
    """``name`` inside the chroot at ``root`` with exactly the host's uid and gid
    (idempotent: an existing chroot is brought in line at every setup)."""
    etc = root / "etc"
    _rewrite_entry(etc / "group", name, f"{name}:x:{gid}:", gid, 2)
    _rewrite_entry(
        etc / "passwd", name, f"{name}:x:{uid}:{gid}:Hotline Asterisk:/nonexistent:{NOLOGIN}",
        uid, 2,
    )  # fmt: skip


def ensure_users(settings: Settings) -> None:
    """Asterisk's user on the host and in the chroot, and the services' user (setup, as
    root; nothing to do otherwise)."""
    if not is_root():
        return
    asterisk = ensure_host_user(settings.asterisk_user, "Hotline Asterisk")
    if settings.asterisk_root != Path("/"):
        ensure_chroot_user(settings.asterisk_root, settings.asterisk_user, asterisk.pw_uid,
                           asterisk.pw_gid)  # fmt: skip
    if settings.service_user:
        ensure_host_user(settings.service_user, "Hotline services",
                         groups=(grp.getgrgid(asterisk.pw_gid).gr_name,))  # fmt: skip


def service_identity(settings: Settings) -> tuple[int, int, list[int]] | None:
    """(uid, gid, supplementary groups) the CRM, FastAGI server and transcriber run as; None
    when they run as whoever starts them (not root, or no service user configured)."""
    if not (is_root() and settings.service_user):
        return None
    entry = pwd.getpwnam(settings.service_user)
    groups = [g.gr_gid for g in grp.getgrall() if settings.service_user in g.gr_mem]
    return entry.pw_uid, entry.pw_gid, groups


def hand_over_var(settings: Settings) -> None:
    """``var/`` and the settings file to the service user: the services write their
    databases, outbox and site templates there (root's setup created them)."""
    identity = service_identity(settings)
    if identity is None:
        return
    uid, gid, _ = identity
    var = settings.var_dir
    var.mkdir(parents=True, exist_ok=True)
    for path in (var, settings.source_file):
        if path.exists():
            _own(path, uid, gid, private=True)
    _share_folder(settings.ivr_menu_file.parent, gid)
    for folder, dirs, files in os.walk(var):
        if Path(folder) == var:
            dirs[:] = [d for d in dirs if d not in UNTOUCHED]
        for name in dirs:
            _own(Path(folder) / name, uid, gid)
        for name in files:
            _own(Path(folder) / name, uid, gid, private=name.endswith(PRIVATE_SUFFIXES))


def _share_folder(folder: Path, gid: int) -> None:
    """The admin console saves the IVR menu by putting a new file in its folder: the
    services' group may create files there (setgid keeps the group)."""
    stat = folder.stat()
    if stat.st_gid != gid:
        os.chown(folder, -1, gid)
    mode = (stat.st_mode & 0o7777) | 0o2070
    if stat.st_mode & 0o7777 != mode:
        folder.chmod(mode)


def _own(path: Path, uid: int, gid: int, private: bool = False) -> None:
    stat = path.lstat()
    if path.is_symlink():
        return
    if (stat.st_uid, stat.st_gid) != (uid, gid):
        os.chown(path, uid, gid)
    mode = 0o750 if path.is_dir() else (0o600 if private else 0o640)
    if stat.st_mode & 0o7777 != mode:
        path.chmod(mode)
