"""The configuration check against the real Asterisk: what it learns through AMI, and that it
reads the dialplan exactly as Asterisk's pbx_config does (every extension, priority, label,
application, argument and line)."""

from __future__ import annotations

from crm.dialplan_editor.asterisk_facts import asterisk_facts, loaded_dialplan
from hotline import confcheck, rendering
from ivr.menu import load_menu
from tests.integration.conftest import Hotline
from tests.support.aio import ask


def test_the_running_asterisk_tells_what_it_accepts(hotline: Hotline):
    facts = ask(hotline.settings, asterisk_facts)
    assert {"dial", "queue", "agi", "mixmonitor", "read", "gotoif", "chanspy"} <= facts.applications
    assert "dail" not in facts.applications
    assert {"pjsip", "local"} <= facts.channel_types
    assert {"aors", "allow", "context", "dtmf_mode", "media_address"} <= facts.pjsip_options[
        "endpoint"
    ]
    assert "alow" not in facts.pjsip_options["endpoint"]
    assert {"endpoint", "match"} <= facts.pjsip_options["identify"]
    # The configuration this Asterisk runs passes every check, with everything it knows.
    menu = load_menu(hotline.settings.ivr_menu_file)
    assert rendering.validate_config(hotline.settings, menu, facts=facts)[1] == []


def test_the_dialplan_is_read_as_asterisk_reads_it(hotline: Hotline):
    running = (hotline.settings.instance_host_dir / "etc" / "extensions.conf").read_text()
    problems: list[confcheck.Problem] = []
    plan = confcheck.read_dialplan(confcheck.parse("extensions.conf", running), problems)
    assert problems == []
    theirs = ask(hotline.settings, loaded_dialplan)
    assert len(theirs) > 30
    assert confcheck.step_keys(plan) == theirs
