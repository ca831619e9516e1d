"""The FastAGI server on a real socket, with a client that plays Asterisk — including badly."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from agi.handlers.context import HandlerContext
from agi.outbox import Outbox
from agi.server import AgiEnvironmentRefused, FastAgiServer, parse_environment
from callmodel import dialplan as v
from hotline.settings import CONFIG_DIR
from ivr.menu import load_menu
from tests.support.agi import AsteriskSide, environment
from tests.support.sipp import free_port

MENU = load_menu(CONFIG_DIR / "ivr-menu.yaml")


@pytest.fixture
async def server(tmp_path: Path):
    context = HandlerContext(menu=MENU, outbox=Outbox(tmp_path / "outbox.db"), prompts_dir="/p")
    agi = FastAgiServer(context)
    port = free_port(socket.SOCK_STREAM)
    await agi.start("127.0.0.1", port)
    agi.port = port  # type: ignore[attr-defined]
    yield agi
    await agi.stop()


def events(server) -> list[dict]:
    return [json.loads(p.body) for p in server.context.outbox.pending()]


async def test_a_whole_ivr_conversation_over_the_wire(server):
    side = await AsteriskSide.connect(server.port, environment("ivr"))
    assert (await side.next_command()).startswith('STREAM FILE "/p/welcome"')
    await side.reply("200 result=0 endpos=8000")
    assert (await side.next_command()).startswith('STREAM FILE "/p/menu"')
    await side.reply("200 result=51 endpos=3000")  # the caller pressed 3 during the menu
    for _ in range(3):
        command = await side.next_command()
        assert command.startswith("SET VARIABLE")
        await side.reply("200 result=1")
    assert await side.closed()
    assert side.commands[2:] == [
        f'SET VARIABLE {v.ROUTE} "queue"',
        f'SET VARIABLE {v.QUEUE} "help"',
        f'SET VARIABLE {v.PRIORITY} "0"',
    ]
    assert [e["kind"] for e in events(server)] == ["call_started", "call_routed"]


async def test_caller_hangup_line_ends_the_handler_quietly(server):
    side = await AsteriskSide.connect(server.port, environment("ivr"))
    await side.next_command()
    await side.reply("HANGUP")
    assert await side.closed()
    assert [e["kind"] for e in events(server)] == ["call_started"]


async def test_peer_closing_mid_command_loses_nothing(server):
    side = await AsteriskSide.connect(server.port, environment("ivr", uniqueid="2.2"))
    await side.next_command()
    side.writer.close()
    await asyncio.sleep(0.3)
    assert [e["uniqueid"] for e in events(server)] == ["2.2"]
    assert not server.active, "no handler may hang on a closed socket"


@pytest.mark.parametrize(
    "garbage",
    [b"", b"agi_network_script: ivr\n", b"\x00\xff\xfe garbage\n\n", b"hello\n\n"],
)
async def test_malformed_or_truncated_environment_gets_closed(server, garbage):
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(garbage)
    await writer.drain()
    if garbage.endswith(b"\n") and not garbage.endswith(b"\n\n"):
        writer.write_eof()
    assert await asyncio.wait_for(reader.read(), 10) == b""
    assert events(server) == []


async def test_unknown_script_is_refused_so_the_dialplan_fallback_runs(server):
    side = await AsteriskSide.connect(server.port, environment("does-not-exist"))
    assert await side.closed()


async def test_garbage_reply_from_asterisk_still_routes_the_caller(server):
    side = await AsteriskSide.connect(server.port, environment("ivr"))
    await side.next_command()
    await side.reply("what is this")
    # The handler treats it as a fault of ours: the general queue.
    commands = []
    while True:
        command = await side.next_command()
        commands.append(command)
        await side.reply("200 result=1")
        if command.startswith(f"SET VARIABLE {v.PRIORITY}"):
            break
    assert f'SET VARIABLE {v.QUEUE} "general"' in commands


def test_environment_parsing_skips_junk():
    env = parse_environment(b"agi_uniqueid: 1.2\nnonsense\nagi_callerid: 138\nx: y\n\n")
    assert env == {"agi_uniqueid": "1.2", "agi_callerid": "138"}


@pytest.mark.parametrize(
    "block",
    [
        # A CR/LF in the caller's number: the CR stays in the value, the LF forges a line.
        b"agi_network_script: ivr\nagi_uniqueid: 1.2\nagi_callerid: 139\r\nagi_uniqueid: 6.6\n\n",
        # A bare LF: no control character left, but a name given twice.
        b"agi_network_script: ivr\nagi_callerid: 139\nagi_network_script: call_end\n\n",
        b"agi_network_script: ivr\nagi_calleridname: a\x07b\n\n",
    ],
)
def test_an_environment_with_forged_lines_is_refused_whole(block):
    with pytest.raises(AgiEnvironmentRefused):
        parse_environment(block)
