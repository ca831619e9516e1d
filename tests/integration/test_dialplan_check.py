"""The configuration check against the real Asterisk: what it learns through AMI, and that it
reads the dialplan exactly as Asterisk's pbx_config does (every extension, priority, label,
application, argument and line)."""

from __future__ import annotations

import asyncio
import re

from crm.bridge.ami import AmiBridge
from crm.bridge.facts import asterisk_facts
from hotline import asterisk, confcheck
from hotline.asterisk import AsteriskProcess
from hotline.confcheck import AsteriskFacts
from ivr.menu import load_menu
from tests.integration.conftest import Hotline

CONTEXT = re.compile(r"^\[ Context '(?P<name>[^']+)' created by '(?P<by>[^']+)' \]")
STEP = re.compile(
    r"^\s*(?:'(?P<exten>[^']+)' =>)?\s*(?:\[(?P<label>[^\]]+)\])?\s*(?P<priority>\d+)\. "
    r"(?P<app>[A-Za-z0-9_]+)\((?P<data>.*)\)\s+\[extensions\.conf:(?P<line>\d+)\]$"
)


def facts_of(hotline: Hotline) -> AsteriskFacts:
    async def ask() -> AsteriskFacts:
        async def ignore(event: object) -> None:
            return None

        ami = AmiBridge(hotline.settings, ignore)
        await ami.start()
        try:
            await asyncio.wait_for(ami.connected.wait(), 10)
            return await asterisk_facts(ami)
        finally:
            await ami.stop()

    return asyncio.run(ask())


def asterisk_dialplan(hotline: Hotline) -> set[tuple[str, str, int, str | None, str, str, int]]:
    """Every step Asterisk loaded from extensions.conf, from ``dialplan show``."""
    steps, context, exten = set(), None, None
    for line in AsteriskProcess(hotline.settings).cli("dialplan show").splitlines():
        if found := CONTEXT.match(line):
            context = found["name"] if found["by"] == "pbx_config" else None
            continue
        if context and (found := STEP.match(line)):
            exten = found["exten"] or exten
            steps.add(
                (context, exten, int(found["priority"]), found["label"], found["app"],
                 found["data"], int(found["line"]))
            )  # fmt: skip
    return steps


def test_the_running_asterisk_tells_what_it_accepts(hotline: Hotline):
    facts = facts_of(hotline)
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
    ours = {
        (s.context, s.exten, s.priority, s.label, s.app, s.data, s.line)
        for table in plan.steps.values()
        for steps in table.values()
        for s in steps
    }
    theirs = asterisk_dialplan(hotline)
    assert len(theirs) > 30
    assert ours == theirs
