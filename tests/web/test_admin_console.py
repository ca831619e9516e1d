"""系统管理: the IVR menu and the dialplan edited in the browser, on a hotline of their own.

A broken menu or dialplan is refused with its line and the running one keeps working; a
change applied in the browser is what the next real call follows; a rollback restores the old.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm import db
from crm.accounts.services import set_account
from crm.domain.access import Role
from hotline import rendering
from hotline.settings import CONFIG_DIR
from tests.asr.conftest import ko_model_dir
from tests.integration.conftest import AGENT_ONE, Hotline, finished
from tests.support.instance import isolated_hotline
from tests.web.conftest import PASSWORD, Console


@pytest.fixture(scope="module")
def admin_hotline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    root = tmp_path_factory.mktemp("admin-hotline")
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
        yield Hotline.of(instance)


def consult_call(hotline: Hotline, key: str, service: str | None = None) -> dict:
    phone = hotline.phone(AGENT_ONE)
    number, caller = hotline.call(keys=key, hold_ms=5000, service=service)
    assert finished(caller) == 0, caller.output()
    assert finished(phone) == 0, "the agent's phone never rang:\n" + phone.output()
    return hotline.wait_for_call(number, lambda c: c["ended_at"] is not None)


# A second number for the same service: it runs the 12345 IVR.
SECOND_NUMBER = (
    "; 12346: a second number for the same service.\n"
    "exten => 12346,1,Goto(hotline-inbound,{{ s.hotline_number }},1)\n\n"
)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def open_document(page, name: str, marker: str) -> str:
    page.click(f"#doc-tabs button[data-doc='{name}']")
    page.wait_for_function(f"document.getElementById('doc-text').value.includes({marker!r})")
    return page.input_value("#doc-text")


def apply_text(page, text: str, comment: str = "") -> None:
    page.fill("#doc-text", text)
    page.fill("#doc-comment", comment)
    page.click("#btn-apply")


def refusal(page) -> str:
    """The refusal as the admin reads it: the headline and each problem with its line."""
    page.wait_for_function("document.getElementById('doc-error').textContent.length > 0")
    return page.text_content("#doc-error") + page.text_content("#problems")


def applied(page) -> None:
    page.wait_for_function(
        "document.getElementById('doc-msg').textContent === '已生效'", timeout=60_000
    )


def test_admin_moves_consultation_to_key_3_and_the_next_call_follows(
    admin_hotline: Hotline, browser
):
    hotline = admin_hotline
    menu_file = Path(hotline.settings.ivr_menu_file)
    original = menu_file.read_text(encoding="utf-8")
    hotline.login(AGENT_ONE, ["consult"])
    admin = Console(browser, hotline, "admin1")
    try:
        page = admin.open("/web/admin")
        page.wait_for_selector("body[data-ready='1']")
        assert page.input_value("#doc-text") == original

        # Broken: a key that points at a queue that does not exist. Refused, with the line.
        broken = original.replace("queue: consult,", "queue: nosuch,", 1)
        bad_line = (
            broken.splitlines().index(next(x for x in broken.splitlines() if "nosuch" in x)) + 1
        )
        page.fill("#doc-text", broken)
        page.click("#btn-apply")
        assert f"第 {bad_line} 行" in refusal(page)
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
        page.fill("#doc-text", moved)
        page.fill("#doc-comment", "咨询改为按3")
        page.click("#btn-apply")
        page.wait_for_function(
            "document.getElementById('doc-msg').textContent === '已生效'", timeout=60_000
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


def test_admin_edits_the_dialplan_a_broken_file_is_refused_and_the_running_one_keeps_working(
    admin_hotline: Hotline, browser
):
    hotline = admin_hotline
    site = rendering.site_templates_dir(hotline.settings) / "extensions.conf"
    running = hotline.settings.instance_host_dir / "etc" / "extensions.conf"
    before = running.read_text(encoding="utf-8")
    shipped = rendering.shipped_template("extensions.conf")
    hotline.login(AGENT_ONE, ["consult"])
    admin = Console(browser, hotline, "admin1")
    try:
        page = admin.open("/web/admin")
        page.wait_for_selector("body[data-ready='1']")
        assert open_document(page, "extensions.conf", "[hotline-route]") == shipped

        # A misspelt application: the running Asterisk has none by that name.
        broken = shipped.replace(" same => n,Answer()", " same => n,Answr()", 1)
        apply_text(page, broken)
        line = line_of(broken, "Answr()")
        assert f"extensions.conf 第 {line} 行：Asterisk 没有应用 'Answr'" in refusal(page)
        assert page.locator("#gutter .bad").all_text_contents() == [str(line)]
        admin.screenshot("admin-dialplan-refused")
        assert not site.exists() and running.read_text(encoding="utf-8") == before
        assert consult_call(hotline, "2")["queue"] == "consult"  # the running dialplan works

        # An option PJSIP does not know would keep the endpoint from loading at all.
        pjsip = open_document(page, "pjsip.conf", "[transport-udp]")
        broken = pjsip.replace("allow = alaw,ulaw", "alow = alaw,ulaw", 1)
        apply_text(page, broken)
        assert f"pjsip.conf 第 {line_of(broken, 'alow')} 行：endpoint 没有选项 'alow'" in refusal(
            page
        )

        # A second number: unknown until the change is applied, then it reaches the IVR.
        assert finished(hotline.call_refused("12346")) == 0
        open_document(page, "extensions.conf", "[hotline-route]")
        anchor = "; No other extension here, on purpose:"
        assert anchor in shipped
        extended = shipped.replace(anchor, SECOND_NUMBER + anchor)
        apply_text(page, extended, "新增 12346")
        applied(page)
        assert site.read_text(encoding="utf-8") == extended
        assert "exten => 12346,1,Goto(hotline-inbound,12345,1)" in running.read_text()
        assert consult_call(hotline, "2", service="12346")["queue"] == "consult"
        assert page.locator("#versions li").count() == 2
        assert "新增 12346" in page.text_content("#versions li:first-child")

        # Saved over a version someone else has replaced since: refused, nothing lost.
        stale = page.evaluate(
            """api("POST", "/web/api/admin/documents/extensions.conf",
                   { content: "[x]\\n", base_version: 1 }).then(() => "", (e) => e.message)"""
        )
        assert "已被 admin1 修改" in stale
        assert site.read_text(encoding="utf-8") == extended

        # One click back to the shipped dialplan: 12346 is unknown again.
        page.click("#versions li:last-child button[data-action=rollback]")
        page.wait_for_function("document.querySelectorAll('#versions li').length === 3")
        assert not site.exists() and running.read_text(encoding="utf-8") == before
        assert finished(hotline.call_refused("12346")) == 0
    finally:
        admin.close()
        hotline.logout(AGENT_ONE)
