"""The systemd units ``hotline install-units`` writes, checked by systemd's own verifier."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hotline.settings import Settings
from hotlinectl import units


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    written = units.install_units(
        Settings(), tmp_path, enable=False, logrotate_dir=tmp_path / "logrotate.d"
    )
    rule = written.pop()
    assert rule == tmp_path / "logrotate.d" / "hotline"
    assert {path.name for path in written} == {
        "hotline.target",
        "hotline-asterisk.service",
        "hotline-crm.service",
        "hotline-agi.service",
        "hotline-transcriber.service",
        "hotline-purge.service",
        "hotline-purge.timer",
    }
    done = subprocess.run(
        ["systemd-analyze", "verify", *map(str, written)],
        capture_output=True,
        text=True,
        check=False,
    )
    # systemd-analyze exits 0 on unknown keys and only warns: any output is a finding.
    assert done.returncode == 0 and done.stdout == done.stderr == "", done.stderr


def test_every_service_restarts_by_itself_and_only_asterisk_starts_as_root(
    tmp_path: Path,
) -> None:
    for unit in units.render_units(Settings()):
        if unit.name == units.TARGET:
            assert "WantedBy=multi-user.target" in unit.text
            assert "hotline-purge.timer" in unit.text
            continue
        if unit.name.startswith(units.PURGE):
            assert "UMask=0027" in unit.text or "OnCalendar=" in unit.text
            continue
        assert "Restart=always" in unit.text and "NoNewPrivileges=yes" in unit.text
        assert "ProtectSystem=strict" in unit.text
        has_user = f"User={units.SERVICE_USER}" in unit.text
        assert has_user == (unit.name != "hotline-asterisk.service"), unit.name
    transcriber = next(u for u in units.render_units(Settings()) if "transcriber" in u.name)
    assert "CPUWeight=20" in transcriber.text
