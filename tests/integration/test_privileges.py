"""Least privilege on disk, after a real ``hotline setup`` and a real call: the services run as
their own users; databases, recordings, CDR and logs are the hotline's users' alone; the
services' logs name no caller in full; log rotation works on the running instance and Asterisk
opens its log again."""

from __future__ import annotations

import grp
import os
import pwd
import stat
import time
from pathlib import Path

import pytest

from hotlinectl import housekeeping, services
from tests.integration.conftest import Hotline, finished
from tests.integration.test_supervision import cdr_uniqueids

pytestmark = pytest.mark.asterisk


def owner(path: Path) -> tuple[str, str, int]:
    info = path.stat()
    return (
        pwd.getpwuid(info.st_uid).pw_name,
        grp.getgrgid(info.st_gid).gr_name,
        stat.S_IMODE(info.st_mode),
    )


def process_user(pid: int) -> str:
    status = Path(f"/proc/{pid}/status").read_text()
    uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
    return pwd.getpwuid(int(uid)).pw_name


@pytest.fixture(scope="module")
def called(hotline: Hotline) -> tuple[Hotline, str]:
    """One citizen's call, recorded, ended and in Asterisk's CDR."""
    number, caller = hotline.call(keys="3", hold_ms=3000)
    assert finished(caller) == 0, caller.output()
    hotline.wait_for_call(number, lambda call: call["ended_at"] is not None)
    assert cdr_uniqueids(hotline, number)
    return hotline, number


def test_the_services_run_as_their_own_users(called: tuple[Hotline, str]) -> None:
    hotline, _ = called
    settings = hotline.settings
    for name in services.SERVICE_ORDER:
        pid = services.pid_of(settings, name)
        assert pid is not None, name
        want = settings.asterisk_user if name == "asterisk" else settings.service_user
        # Asterisk is started by `chroot`, which execs it: the pid is Asterisk's own.
        assert process_user(pid) == want, name


def test_state_is_readable_by_the_hotlines_users_only(called: tuple[Hotline, str]) -> None:
    hotline, _ = called
    settings = hotline.settings
    service, asterisk = settings.service_user, settings.asterisk_user
    var, state = settings.var_dir, settings.asterisk_state_dir
    assert owner(var) == (service, service, 0o750)
    assert owner(var / "hotline.db") == (service, service, 0o600)
    assert owner(var / "agi-outbox.db") == (service, service, 0o600)
    assert owner(settings.source_file)[2] == 0o600
    assert owner(var / "log")[:2] == ("root", service) and owner(var / "log")[2] == 0o750
    assert owner(var / "log" / "crm.log") == ("root", service, 0o640)
    assert owner(var / "run") == ("root", "root", 0o700)
    assert owner(state)[1:] == (asterisk, 0o2770)
    # What Asterisk makes is its group's too (the services' user is a member), no one else's.
    assert owner(settings.cdr_file) == (asterisk, asterisk, 0o660)
    assert owner(state / "log" / "messages.log") == (asterisk, asterisk, 0o660)
    recorded = [p for p in (state / "recordings").rglob("*") if p.is_file()]
    assert recorded
    for path in recorded:
        user, group, mode = owner(path)
        assert user in (asterisk, service) and group == asterisk and mode == 0o660, path
    for path in (state / "recordings").rglob("*"):
        if path.is_dir():
            assert owner(path)[1:] == (asterisk, 0o2770), path
    # Nothing anywhere in the state is open to other users.
    for folder in (var, state):
        for root, dirs, files in os.walk(folder):
            for name in dirs + files:
                path = Path(root) / name
                if not path.is_symlink():
                    assert path.stat().st_mode & 0o007 == 0, path


def test_the_services_logs_name_no_caller_in_full(called: tuple[Hotline, str]) -> None:
    hotline, number = called
    for name in ("crm", "agi", "transcriber"):
        log = hotline.settings.var_dir / "log" / f"{name}.log"
        assert number not in log.read_text(encoding="utf-8", errors="replace"), name


def test_logs_rotate_on_the_running_instance(called: tuple[Hotline, str]) -> None:
    hotline, _ = called
    settings = hotline.settings
    messages = settings.asterisk_state_dir / "log" / "messages.log"
    done = housekeeping.rotate_logs(settings, force=True)
    assert done.returncode == 0, done.stderr
    assert list((settings.var_dir / "log").glob("crm.log-*"))
    assert list(messages.parent.glob("messages.log-*"))
    # logger reload: Asterisk opened a new messages.log, with the same private mode.
    deadline = time.monotonic() + 10
    while not messages.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert owner(messages) == (settings.asterisk_user, settings.asterisk_user, 0o660)
    assert hotline.api("GET", "/healthz")["ami"]
