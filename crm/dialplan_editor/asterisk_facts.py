"""What the running Asterisk accepts and runs, asked through AMI: before a reload, its loaded
applications and channel types and the options of each PJSIP object type (from Asterisk's own
documentation of its configuration, ``config show help``); after one, the dialplan it loaded."""

from __future__ import annotations

import re

from crm.bridge.ami import AmiBridge
from hotline.confcheck import AsteriskFacts, StepKey

# Modules whose object types are configured in pjsip.conf (others have files of their own).
PJSIP_CONF_MODULES = (
    "res_pjsip",
    "res_pjsip_endpoint_identifier_ip",
    "res_pjsip_outbound_registration",
    "res_pjsip_acl",
    "res_pjsip_outbound_publish",
    "res_pjsip_pubsub",
    "res_pjsip_phoneprov_provider",
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_APPLICATION = re.compile(r"^\s*([A-Za-z0-9_]+): ")
_DOC_ITEM = re.compile(r"^([A-Za-z0-9_@-]+)\s+-- ")

_CONTEXT = re.compile(r"^\[ Context '(?P<name>[^']+)' created by '(?P<by>[^']+)' \]")
_STEP = re.compile(
    r"^\s*(?:'(?P<exten>[^']+)' =>)?\s*(?:\[(?P<label>[^\]]+)\])?\s*(?P<priority>\d+)\. "
    r"(?P<app>[A-Za-z0-9_]+)\((?P<data>.*)\)\s+\[extensions\.conf:(?P<line>\d+)\]$"
)

_pjsip_options: dict[str, frozenset[str]] | None = None  # documentation: fixed per Asterisk


def _clean(lines: list[str]) -> list[str]:
    return [_ANSI.sub("", line) for line in lines]


def _doc_items(lines: list[str], after: str) -> list[str]:
    """Names listed as ``name  -- description`` after the line containing ``after``."""
    items, started = [], False
    for line in _clean(lines):
        if after in line:
            started = True
        elif started and (found := _DOC_ITEM.match(line)):
            items.append(found.group(1))
    return items


async def pjsip_options(ami: AmiBridge) -> dict[str, frozenset[str]]:
    """Each PJSIP object type and the options Asterisk accepts for it."""
    global _pjsip_options
    if _pjsip_options is None:
        options: dict[str, frozenset[str]] = {}
        for module in PJSIP_CONF_MODULES:
            types = _doc_items(
                await ami.command(f"config show help {module}"), "Configuration option types"
            )
            for kind in types:
                lines = await ami.command(f"config show help {module} {kind}")
                options[kind] = frozenset(_doc_items(lines, "[Config Options]"))
        _pjsip_options = options
    return _pjsip_options


async def asterisk_facts(ami: AmiBridge) -> AsteriskFacts:
    """The running Asterisk's applications, channel types and PJSIP options (lower-case)."""
    applications = {
        found.group(1).lower()
        for line in await ami.command("core show applications")
        if (found := _APPLICATION.match(line))
    }
    channel_types = {
        line.split()[0].lower()
        for line in (await ami.command("core show channeltypes"))[2:]
        if line.strip() and not line.startswith("-") and "channel drivers" not in line
    }
    return AsteriskFacts(
        frozenset(applications), frozenset(channel_types), await pjsip_options(ami)
    )


async def loaded_dialplan(ami: AmiBridge) -> set[StepKey]:
    """Every step Asterisk has loaded from extensions.conf (``dialplan show``)."""
    steps: set[StepKey] = set()
    context = exten = None
    for line in await ami.command("dialplan show"):
        if found := _CONTEXT.match(line):
            context = found["name"] if found["by"] == "pbx_config" else None
        elif context and (found := _STEP.match(line)):
            exten = found["exten"] or exten
            assert exten is not None
            steps.add(
                (context, exten, int(found["priority"]), found["label"], found["app"],
                 found["data"], int(found["line"]))
            )  # fmt: skip
    return steps
