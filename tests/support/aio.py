"""Asyncio from synchronous tests, whatever else runs in the session.

Playwright's sync API keeps an event loop running in the main thread while the browser fixture
lives, so ``asyncio.run`` there fails; each coroutine here gets a thread of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from crm.bridge.ami import AmiBridge
from hotline.settings import Settings

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """The coroutine's result, run to the end in a fresh event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def ask(settings: Settings, question: Callable[[AmiBridge], Awaitable[T]]) -> T:
    """One question to a hotline's Asterisk through the CRM's own AMI connection."""

    async def connected() -> T:
        async def ignore(event: object) -> None:
            return None

        ami = AmiBridge(settings, ignore)
        await ami.start()
        try:
            await asyncio.wait_for(ami.connected.wait(), 10)
            return await question(ami)
        finally:
            await ami.stop()

    return run(connected())
