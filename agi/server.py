"""The asyncio FastAGI server (panoramisk's Request over our own guarded accept loop).

panoramisk's ``Application.handler`` reads the AGI environment in a loop that never ends when a
peer closes early; here the environment is read with a deadline and a size limit, and each
command has a timeout, so a broken peer costs one log line, never a stuck task.

The environment carries caller-controlled text (the caller's number and name). The dialplan
filters both before the AGI runs; here an environment whose values still hold a control
character, or that names a variable twice, is refused whole: that is a caller's line break
forging ``agi_*`` lines, and nothing of it may be believed. The dialplan then runs its own menu,
so the caller (an urgent one too) still gets through.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping

from panoramisk.fast_agi import Request

from agi.channel import AgiProtocolError, AgiResult, CallerHungUp, set_variable
from agi.handlers.call_end import call_end
from agi.handlers.context import Handler, HandlerContext
from agi.handlers.ivr import ivr
from agi.handlers.virtual_queue import virtual_queue
from callmodel import dialplan as v

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 5.0
HEADER_LIMIT = 64 * 1024
COMMAND_TIMEOUT = 120.0

ROUTES: dict[str, Handler] = {"ivr": ivr, "call_end": call_end, "virtual_queue": virtual_queue}


class FastAgiChannel:
    """A channel driven over a FastAGI socket."""

    def __init__(self, request: Request, timeout: float = COMMAND_TIMEOUT) -> None:
        self.request = request
        self.env: Mapping[str, str] = request.headers
        self.timeout = timeout

    async def command(self, line: str) -> AgiResult:
        try:
            reply = await asyncio.wait_for(self.request.send_command(line), self.timeout)
        except TimeoutError as exc:
            raise AgiProtocolError(
                f"no answer to {line.split()[0]} in {self.timeout:.0f} s"
            ) from exc
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            raise CallerHungUp(str(exc)) from exc
        except (ValueError, IndexError) as exc:
            # panoramisk could not parse the reply: an empty read (the socket closed under
            # us) or a line that is not AGI.
            if self.request.reader.at_eof():
                raise CallerHungUp("connection closed") from exc
            raise AgiProtocolError(f"unparsable reply to {line.split()[0]}") from exc
        return AgiResult.from_reply(reply)

    async def release(self) -> None:
        """Close the socket: Asterisk goes on with the dialplan at once."""
        self.request.writer.close()


class AgiEnvironmentRefused(ValueError):
    """The AGI environment holds a control character or a repeated name: forged lines."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def parse_environment(block: bytes) -> dict[str, str]:
    """The ``agi_*`` lines Asterisk sends first (one per LF); lines that are not ``agi_*``
    variables are skipped. ``AgiEnvironmentRefused`` for a value with a control character (a
    CR left by a CR/LF in the caller's number) or a name given twice (a forged line)."""
    env: dict[str, str] = {}
    for raw in block.decode("utf-8", "replace").rstrip("\n").split("\n"):
        name, sep, value = raw.partition(":")
        name, value = name.strip(), value.strip(" ")
        if not (sep and name.startswith("agi_")):
            continue
        if _CONTROL.search(value) or _CONTROL.search(name):
            raise AgiEnvironmentRefused(f"control character in {name}")
        if name in env:
            raise AgiEnvironmentRefused(f"{name} given twice")
        env[name] = value
    return env


class FastAgiServer:
    def __init__(self, context: HandlerContext, routes: Mapping[str, Handler] = ROUTES) -> None:
        self.context = context
        self.routes = dict(routes)
        self.server: asyncio.Server | None = None
        self.active: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> None:
        self.server = await asyncio.start_server(self.handle, host, port, limit=HEADER_LIMIT)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.active.add(task)
        try:
            await self._serve(reader, writer)
        finally:
            if task is not None:
                self.active.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        try:
            block = await asyncio.wait_for(reader.readuntil(b"\n\n"), HEADER_TIMEOUT)
        except asyncio.IncompleteReadError as exc:
            # An empty connection is a port probe (``hotline start`` does one); anything else
            # is a peer that broke off mid-environment.
            level = logging.DEBUG if not exc.partial else logging.WARNING
            log.log(level, "FastAGI: incomplete AGI environment from %s", peer)
            return
        except (TimeoutError, asyncio.LimitOverrunError, ConnectionError) as exc:
            log.warning("FastAGI: no valid AGI environment from %s (%s)", peer, type(exc).__name__)
            return
        try:
            env = parse_environment(block)
        except AgiEnvironmentRefused as exc:
            # Closing without a word: the dialplan's own menu takes the call on.
            log.error("FastAGI: refused a forged AGI environment from %s (%s)", peer, exc)
            return
        script = env.get("agi_network_script", "").split("?", 1)[0].strip("/")
        handler = self.routes.get(script)
        if handler is None:
            # The dialplan then runs its own fallback menu: the caller still gets through.
            log.error("FastAGI: unknown script %r from %s", script, peer)
            return
        channel = FastAgiChannel(Request(app=None, headers=env, reader=reader, writer=writer))
        try:
            await handler(channel, self.context)
        except CallerHungUp:
            log.info("FastAGI %s: caller hung up (%s)", script, env.get("agi_uniqueid"))
        except Exception:
            log.exception("FastAGI %s failed for %s", script, env.get("agi_uniqueid"))
            if script == "ivr":
                await _safe_route(channel)


async def _safe_route(channel: FastAgiChannel) -> None:
    """Last resort after a handler bug: the general queue, unless a route was already set."""
    try:
        current = await channel.command(f"GET VARIABLE {v.ROUTE}")
        if current.value != 1:
            await set_variable(channel, v.ROUTE, "queue")
    except (CallerHungUp, AgiProtocolError):
        pass
