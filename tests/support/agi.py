"""Play the Asterisk side of AGI: a scripted channel for handler tests, a socket client for
the FastAGI server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from agi.channel import AgiResult, CallerHungUp

HANGUP = "HANGUP"


def environment(
    script: str, uniqueid: str = "1795870000.1", caller: str = "13800138000", **extra: str
) -> dict[str, str]:
    env = {
        "agi_network": "yes",
        "agi_network_script": script,
        "agi_request": f"agi://127.0.0.1/{script}",
        "agi_channel": "PJSIP/citizens-00000001",
        "agi_uniqueid": uniqueid,
        "agi_linkedid": uniqueid,
        "agi_callerid": caller,
        "agi_calleridname": "Citizen",
        "agi_context": "hotline-inbound",
        "agi_extension": "12345",
    }
    env.update(extra)
    return env


class ScriptedChannel:
    """A caller who presses ``keys`` in turn: one entry per prompt or wait (None: no key)."""

    def __init__(
        self,
        env: dict[str, str],
        keys: Iterable[str | None] = (),
        variables: dict[str, str] | None = None,
        fail_on: str | None = None,
    ) -> None:
        self.env = env
        self.keys = list(keys)
        self.variables = dict(variables or {})
        self.commands: list[str] = []
        self.fail_on = fail_on

    async def release(self) -> None:
        self.commands.append("RELEASE")

    async def command(self, line: str) -> AgiResult:
        if self.commands and self.commands[-1] == "RELEASE":
            raise CallerHungUp("the channel was handed back to the dialplan")
        self.commands.append(line)
        if self.fail_on and line.startswith(self.fail_on):
            raise RuntimeError(f"injected failure on {self.fail_on}")
        if line.startswith(("STREAM FILE", "WAIT FOR DIGIT")):
            key = self.keys.pop(0) if self.keys else None
            if key == HANGUP:
                raise CallerHungUp()
            return AgiResult(str(ord(key)) if key else "0", "")
        if line.startswith("SET VARIABLE"):
            _, _, name, value = line.split(" ", 3)
            self.variables[name] = value.strip('"')
            return AgiResult("1", "")
        if line.startswith("GET FULL VARIABLE"):
            expression = line.split(" ", 3)[3].strip('"')
            names = [part[2:-1] for part in expression.split("|")]
            return AgiResult("1", "|".join(self.variables.get(n, "") for n in names))
        if line.startswith("GET VARIABLE"):
            name = line.split()[2]
            if name in self.variables:
                return AgiResult("1", self.variables[name])
            return AgiResult("0", "")
        return AgiResult("0", "")


class AsteriskSide:
    """A FastAGI client that behaves like Asterisk on the wire."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.commands: list[str] = []

    @classmethod
    async def connect(cls, port: int, env: dict[str, str] | None) -> AsteriskSide:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        side = cls(reader, writer)
        if env is not None:
            block = "".join(f"{k}: {v}\n" for k, v in env.items()) + "\n"
            writer.write(block.encode())
            await writer.drain()
        return side

    async def next_command(self, timeout: float = 5.0) -> str:
        line = await asyncio.wait_for(self.reader.readline(), timeout)
        command = line.decode().strip()
        self.commands.append(command)
        return command

    async def reply(self, text: str) -> None:
        self.writer.write(f"{text}\n".encode())
        await self.writer.drain()

    async def closed(self, timeout: float = 5.0) -> bool:
        data = await asyncio.wait_for(self.reader.read(), timeout)
        return data == b""
