"""The floors of the house hold: no module imports from a floor above its own.

The contracts are in pyproject.toml (``[tool.importlinter]``): callmodel/ ← ivr/, asr/ ←
hotline/ settings ← agi/ ← crm/ ← hotlinectl/, and inside crm/ domain ← models ← bridge ←
services ← shared HTTP ← routes ← web; ivr/ never imports telephony or network code.
``lint-imports`` in the project folder runs the same check and names each broken import.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

PROJECT = Path(__file__).resolve().parents[2]


def test_no_import_runs_upwards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT)
    assert lint_imports(str(PROJECT / "pyproject.toml"), no_cache=True, no_logo=True) == 0
