"""The state folder's move from the code's own ``var/`` to ``/var/lib/hotline``, once.

An instance set up before the default changed keeps its settings file, databases, outbox,
recordings and logs in ``<project>/var``, where a fresh clone or an upgrade of the code would
lose them. The first ``hotline setup`` (``hotline.sh up``) that finds such an instance and no
settings file at the new place stops its services, takes Asterisk's state out of the root, and
moves everything into ``/var/lib/hotline``; setup then goes on there as usual (mounting the
state into the root again, handing the files to the services' user). A hotline named by
``HOTLINE_CONFIG`` (a test instance, a site's own layout) is never moved.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

from hotline.asterisk import unmount_state
from hotline.settings import DEFAULT_VAR_DIR, LEGACY_VAR_DIR, Settings, load_settings
from hotlinectl import services

CONFIG_NAME = "hotline.yaml"


def _legacy_settings(config: Path, legacy: Path) -> Settings:
    """The old instance's settings, read from its own file with its old state folder."""
    previous = os.environ.get("HOTLINE_CONFIG")
    os.environ["HOTLINE_CONFIG"] = str(config)
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        return load_settings(**({} if data.get("var_dir") else {"var_dir": legacy}))
    finally:
        if previous is None:
            os.environ.pop("HOTLINE_CONFIG", None)
        else:
            os.environ["HOTLINE_CONFIG"] = previous


def _rewrite(config: Path, legacy: Path, target: Path) -> None:
    """Settings that named the old folder name the new one."""
    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    old, new = str(legacy), str(target)
    for key, value in list(data.items()):
        if isinstance(value, str) and (value == old or value.startswith(old + "/")
                                       or value.startswith(f"sqlite:///{old}/")):  # fmt: skip
            data[key] = value.replace(old, new, 1)
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=True), encoding="utf-8")
    config.chmod(0o600)


def migrate_legacy_state(legacy: Path = LEGACY_VAR_DIR, target: Path = DEFAULT_VAR_DIR) -> bool:
    """Move an instance's state from ``legacy`` to ``target``; True if it did."""
    config = legacy / CONFIG_NAME
    if "HOTLINE_CONFIG" in os.environ or not config.is_file():
        return False
    if (target / CONFIG_NAME).exists():
        return False
    old = _legacy_settings(config, legacy)
    if old.var_dir != legacy:
        # The state is elsewhere already: only the settings file moves.
        target.mkdir(parents=True, exist_ok=True)
        shutil.move(str(config), target / CONFIG_NAME)
        return True
    services.stop_all(old)
    unmount_state(old)
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o750)
    for child in sorted(legacy.iterdir()):
        if not (target / child.name).exists():
            shutil.move(str(child), target / child.name)
    _rewrite(target / CONFIG_NAME, legacy, target)
    print(f"热线状态目录已迁移：{legacy} → {target}")
    return True
