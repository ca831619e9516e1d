"""The hotline's logrotate rule, run by Debian's logrotate against a temporary instance: the
services' logs are copied and truncated (supervisord keeps them open), Asterisk's renamed and
reopened through ``logger reload``, rotated files carry the date and are compressed later."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hotline.settings import Settings
from hotlinectl import housekeeping


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        var_dir=tmp_path / "var",
        asterisk_root=tmp_path / "root",
        asterisk_instance_dir=Path("/srv/hotline/logrotate-test"),
        service_user="",
        retention={"logs_days": 7},
    )


def test_logrotate_accepts_the_rule_and_rotates_both_folders(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    crm_log = settings.var_dir / "log" / "crm.log"
    messages = settings.instance_host_dir / "log" / "messages.log"
    for path in (crm_log, messages):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("2026-12-01 a line\n", encoding="utf-8")
    conf = housekeeping.install_logrotate(settings)
    assert conf == settings.var_dir / "run" / "logrotate.conf"
    assert conf.stat().st_mode & 0o777 == 0o600
    text = conf.read_text(encoding="utf-8")
    assert "maxage 7" in text and "rotate 7" in text and "logger reload" in text

    debug = subprocess.run(
        ["logrotate", "--debug", "--state", str(tmp_path / "debug.state"), str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert debug.returncode == 0, debug.stderr
    assert str(crm_log.parent) in debug.stderr and str(messages.parent) in debug.stderr
    assert "error" not in debug.stderr.lower(), debug.stderr

    done = housekeeping.rotate_logs(settings, force=True)
    assert done.returncode == 0, done.stderr
    # Copied, then truncated in place: supervisord goes on writing the same file.
    assert crm_log.exists() and crm_log.read_text() == ""
    [copy] = crm_log.parent.glob("crm.log-*")
    assert copy.read_text() == "2026-12-01 a line\n"
    # Renamed: Asterisk opens a new one when told (here no Asterisk runs: the rotation holds).
    assert not messages.exists()
    [renamed] = messages.parent.glob("messages.log-*")
    assert renamed.read_text() == "2026-12-01 a line\n"
    assert housekeeping.logrotate_state_file(settings).exists()


def test_the_daily_run_is_at_the_quiet_hour() -> None:
    from datetime import datetime

    before = datetime(2026, 12, 1, 2, 0)
    assert housekeeping.next_run(before) == datetime(2026, 12, 1, 3, 30)
    assert housekeeping.next_run(datetime(2026, 12, 1, 3, 30)) == datetime(2026, 12, 2, 3, 30)
