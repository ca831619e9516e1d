"""The configuration check against the real Asterisk: what it learns through AMI, and that it
reads the dialplan exactly as Asterisk's pbx_config does (every extension, priority, label,
application, argument and line)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from crm.bridge.ami import AmiBridge
from crm.bridge.facts import asterisk_facts, loaded_dialplan
from hotline import asterisk, confcheck
from ivr.menu import load_menu
from tests.integration.conftest import Hotline

T = TypeVar("T")


def ask(hotline: Hotline, question: Callable[[AmiBridge], Awaitable[T]]) -> T:
    """One question to the hotline's Asterisk through its AMI, as the CRM asks it."""

    async def run() -> T:
        async def ignore(event: object) -> None:
            return None

        ami = AmiBridge(hotline.settings, ignore)
        await ami.start()
        try:
            await asyncio.wait_for(ami.connected.wait(), 10)
            return await question(ami)
        finally:
            await ami.stop()

    return asyncio.run(run())


def test_the_running_asterisk_tells_what_it_accepts(hotline: Hotline):
    facts = ask(hotline, asterisk_facts)
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
    assert asterisk.validate_config(hotline.settings, menu, facts=facts)[1] == []


def test_the_dialplan_is_read_as_asterisk_reads_it(hotline: Hotline):
    running = (hotline.settings.instance_host_dir / "etc" / "extensions.conf").read_text()
    problems: list[confcheck.Problem] = []
    plan = confcheck.read_dialplan(confcheck.parse("extensions.conf", running), problems)
    assert problems == []
    theirs = ask(hotline, loaded_dialplan)
    assert len(theirs) > 30
    assert confcheck.step_keys(plan) == theirs
