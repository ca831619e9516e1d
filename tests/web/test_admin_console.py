"""系统管理: the IVR menu edited in the browser on its own hotline (its own menu file).

A broken menu is refused with its line and the running menu keeps working; moving 咨询 to key
3 and applying it makes the next real call follow the new menu; a rollback restores the old one.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm import db
from crm.domain.access import Role
from crm.web.accounts import set_account
from hotline.settings import CONFIG_DIR
from tests.asr.conftest import ko_model_dir
from tests.integration.conftest import AGENT_ONE, Hotline, finished
from tests.support.instance import isolated_hotline
from tests.web.conftest import PASSWORD, Console


@pytest.fixture(scope="module")
def menu_hotline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    root = tmp_path_factory.mktemp("menu-hotline")
    menu = root / "ivr-menu.yaml"
    shutil.copyfile(CONFIG_DIR / "ivr-menu.yaml", menu)
    speech = {"model_dir": str(ko_model_dir()), "workers": 1}
    # Its own RTP range: the session's hotline may be running beside it.
    with isolated_hotline(
        root, ivr_menu_file=str(menu), rtp_start=40000, rtp_end=40398, asr=speech
    ) as instance:
        engine = db.make_engine(instance.settings.db_url)
        with db.transaction(db.make_sessionmaker(engine)) as session:
            set_account(session, "admin1", PASSWORD, [Role.ADMIN], display_name="赵管理")
        engine.dispose()
        yield Hotline(
            instance.settings, instance.root, instance.emergency_port, instance.agent_ports
        )


def consult_call(hotline: Hotline, key: str) -> dict:
    phone = hotline.phone(AGENT_ONE)
    number, caller = hotline.call(keys=key, hold_ms=5000)
    assert finished(caller) == 0, caller.output()
    assert finished(phone) == 0, "the agent's phone never rang:\n" + phone.output()
    return hotline.wait_for_call(number, lambda c: c["ended_at"] is not None)


def test_admin_moves_consultation_to_key_3_and_the_next_call_follows(
    menu_hotline: Hotline, browser
):
    hotline = menu_hotline
    menu_file = Path(hotline.settings.ivr_menu_file)
    original = menu_file.read_text(encoding="utf-8")
    hotline.login(AGENT_ONE, ["consult"])
    admin = Console(browser, hotline, "admin1")
    try:
        page = admin.open("/web/admin")
        page.wait_for_selector("body[data-ready='1']")
        assert page.input_value("#menu-text") == original

        # Broken: a key that points at a queue that does not exist. Refused, with the line.
        broken = original.replace("queue: consult,", "queue: nosuch,", 1)
        bad_line = (
            broken.splitlines().index(next(x for x in broken.splitlines() if "nosuch" in x)) + 1
        )
        page.fill("#menu-text", broken)
        page.click("#btn-apply")
        page.wait_for_function("document.getElementById('menu-error').textContent.length > 0")
        assert f"第 {bad_line} 行" in page.text_content("#menu-error")
        assert menu_file.read_text(encoding="utf-8") == original
        assert consult_call(hotline, "2")["queue"] == "consult"  # the running menu still works

        # 咨询 to key 3, 求助 to key 2, and the spoken menu says so.
        moved = (
            original.replace(
                '"2": {route: queue, queue: consult', '"X": {route: queue, queue: consult'
            )
            .replace('"3": {route: queue, queue: help', '"2": {route: queue, queue: help')
            .replace('"X": {route: queue, queue: consult', '"3": {route: queue, queue: consult')
            .replace("咨询请按2，求助请按3", "求助请按2，咨询请按3")
        )
        assert moved != original
        page.fill("#menu-text", moved)
        page.fill("#menu-comment", "咨询改为按3")
        page.click("#btn-apply")
        page.wait_for_function(
            "document.getElementById('menu-msg').textContent === '已生效'", timeout=60_000
        )
        assert menu_file.read_text(encoding="utf-8") == moved
        call = consult_call(hotline, "3")
        assert call["ivr_path"] == ["3"] and call["queue"] == "consult"
        assert page.locator("#versions li").count() == 2
        assert "咨询改为按3" in page.text_content("#versions li:first-child")
        admin.screenshot("admin-console")

        # One click back to the first version.
        page.click("#versions li:last-child button[data-action=rollback]")
        page.wait_for_function("document.querySelectorAll('#versions li').length === 3")
        assert menu_file.read_text(encoding="utf-8") == original
        assert consult_call(hotline, "2")["queue"] == "consult"
    finally:
        admin.close()
        hotline.logout(AGENT_ONE)
