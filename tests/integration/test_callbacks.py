"""Call-back results as the real Asterisk reports them (the whole call-back, with the agent's
and the citizen's phones, is in tests/web/test_agent_console.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from crm.bridge.ami import AmiBridge
from crm.callbacks.http import ACTION_PREFIX, AGENT_NO_ANSWER, CALLBACK_CONTEXT, result_of
from tests.integration.conftest import Hotline
from tests.support.aio import ask


def test_an_originate_the_agents_side_fails_is_reported_for_its_attempt(hotline: Hotline):
    async def originate(ami: AmiBridge) -> Mapping[str, str]:
        seen: asyncio.Queue[Mapping[str, str]] = asyncio.Queue()
        ami.raw_listeners.append(
            lambda h: seen.put_nowait(h) if h.get("Event") == "OriginateResponse" else None
        )
        await ami.action(
            {
                "Action": "Originate",
                "ActionID": f"{ACTION_PREFIX}424242",
                "Channel": "PJSIP/no-such-phone",
                "Context": CALLBACK_CONTEXT,
                "Exten": "13800138000",
                "Priority": "1",
                "Async": "true",
            }
        )
        return await asyncio.wait_for(seen.get(), 20)

    headers = ask(hotline.settings, originate)
    assert headers["Response"] == "Failure"
    assert result_of(headers) == (424242, AGENT_NO_ANSWER, None, None)
