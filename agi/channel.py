"""One AGI conversation with Asterisk, whatever carries it (FastAGI socket, process pipes).

Handlers speak to a :class:`Channel`: they send AGI command lines and get parsed results.
The helpers below build the few commands the hotline needs on top of that one primitive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

ALL_KEYS = "0123456789*#"
PANORAMISK_HANGUPS = {"AGIResultHangup", "AGIAppError"}


class CallerHungUp(Exception):
    """The caller is gone: stop talking to the channel, nothing is wrong."""


class AgiProtocolError(Exception):
    """Asterisk's answer was not usable AGI (a broken line, an error code, no answer)."""


@dataclass(frozen=True)
class AgiResult:
    result: str
    data: str

    @property
    def value(self) -> int:
        return int(self.result) if self.result.lstrip("-").isdigit() else 0

    @classmethod
    def from_reply(cls, reply: Mapping[str, object]) -> AgiResult:
        """From the parsed reply both panoramisk and pyst2 give: {'result': (value, data)}."""
        error = reply.get("error")
        if error in PANORAMISK_HANGUPS:
            raise CallerHungUp(str(reply.get("msg", "")))
        if error:
            raise AgiProtocolError(f"{error}: {reply.get('msg', '')}")
        value, data = reply.get("result", ("", ""))  # type: ignore[misc]
        if value == "-1":
            raise CallerHungUp("result=-1")
        return cls(str(value), str(data))


class Channel(Protocol):
    """The AGI environment (``agi_*``), a way to send one command, and a way to hand the
    channel back to the dialplan before the handler's own bookkeeping is done."""

    env: Mapping[str, str]

    async def command(self, line: str) -> AgiResult: ...

    async def release(self) -> None: ...


def quote(value: str) -> str:
    """An AGI argument: quoted, with quotes and backslashes escaped, no newline."""
    cleaned = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{cleaned}"'


def _key(result: AgiResult) -> str | None:
    return chr(result.value) if result.value > 0 else None


async def play(channel: Channel, prompt: str, escape: str = ALL_KEYS) -> str | None:
    """Play a prompt; a key pressed while it plays stops it and is returned."""
    return _key(await channel.command(f"STREAM FILE {quote(prompt)} {quote(escape)}"))


async def wait_for_key(channel: Channel, seconds: float) -> str | None:
    return _key(await channel.command(f"WAIT FOR DIGIT {int(seconds * 1000)}"))


async def play_all(channel: Channel, prompts: Sequence[str]) -> str | None:
    """Play prompts one after the other; the first key stops them and is returned."""
    for prompt in prompts:
        key = await play(channel, prompt)
        if key:
            return key
    return None


async def ask(channel: Channel, prompts: Sequence[str], timeout_seconds: float) -> str | None:
    """Play prompts one after the other; the first key anywhere (or after) is the answer."""
    return await play_all(channel, prompts) or await wait_for_key(channel, timeout_seconds)


async def record(
    channel: Channel, path: str, max_seconds: float, silence_seconds: float
) -> str | None:
    """Record the caller to ``path``.wav after a beep until silence, the time limit or a key;
    returns the key if one ended it."""
    result = await channel.command(
        f"RECORD FILE {quote(path)} wav {quote(ALL_KEYS)} {int(max_seconds * 1000)} 0 BEEP "
        f"s={max(1, round(silence_seconds))}"
    )
    return chr(result.value) if result.value > 0 and "dtmf" in result.data else None


async def set_variable(channel: Channel, name: str, value: str) -> None:
    await channel.command(f"SET VARIABLE {name} {quote(value)}")


async def get_variables(channel: Channel, names: Sequence[str]) -> dict[str, str]:
    """Several variables in one round trip (values never contain ``|``: ids, numbers, paths)."""
    expression = "|".join(f"${{{name}}}" for name in names)
    result = await channel.command(f"GET FULL VARIABLE {quote(expression)}")
    values = result.data.split("|") if result.value == 1 else []
    values += [""] * (len(names) - len(values))
    return dict(zip(names, values, strict=False))
