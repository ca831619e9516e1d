"""After a reload the CRM compares the dialplan Asterisk loaded with the one it checked; a
difference is caught (the real Asterisk's side: tests/integration/test_dialplan_check.py)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from crm.dialplan_editor.asterisk_facts import loaded_dialplan
from crm.dialplan_editor.http import _dialplan_loaded
from tests.support.aio import run

INSTALLED = """[general]
static = yes

[hotline-route]
exten => queue,1,NoOp(queue)
 same => n(go),Queue(hotline-general)
"""
SHOW = [
    "[ Context 'hotline-route' created by 'pbx_config' ]",
    "  'queue' =>        1. NoOp(queue)                                [extensions.conf:5]",
    "     [go]           2. Queue(hotline-general)                     [extensions.conf:6]",
    "",
    "[ Context 'parkedcalls' created by 'res_parking' ]",
    "  '700' =>          1. Park()                                     [res_parking]",
    "-= 2 extensions (3 priorities) in 2 contexts. =-",
]


class FakeAmi:
    def __init__(self, output: list[str]) -> None:
        self.output = output

    async def command(self, text: str, timeout: float = 10.0) -> list[str]:
        assert text == "dialplan show"
        return self.output


def request_for(tmp_path: Path, output: list[str]) -> SimpleNamespace:
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "extensions.conf").write_text(INSTALLED, encoding="utf-8")
    settings = SimpleNamespace(instance_host_dir=tmp_path)
    state = SimpleNamespace(settings=settings, agents=SimpleNamespace(ami=FakeAmi(output)))
    return SimpleNamespace(app=SimpleNamespace(state=state))


def test_dialplan_show_is_read_step_by_step():
    assert run(loaded_dialplan(FakeAmi(SHOW))) == {
        ("hotline-route", "queue", 1, None, "NoOp", "queue", 5),
        ("hotline-route", "queue", 2, "go", "Queue", "hotline-general", 6),
    }


def test_the_loaded_dialplan_matches_what_was_installed(tmp_path: Path):
    assert run(_dialplan_loaded(request_for(tmp_path, SHOW)))


def test_a_step_asterisk_loaded_differently_is_caught(tmp_path: Path):
    other = [line.replace("hotline-general", "hotline-help") for line in SHOW]
    assert not run(_dialplan_loaded(request_for(tmp_path, other), attempts=2))
