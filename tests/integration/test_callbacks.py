"""Call-back results as the real Asterisk reports them (the whole call-back, with the agent's
and the citizen's phones, is in tests/web/test_agent_console.py)."""

from __future__ import annotations

import asyncio

from callmodel.dialplan import CALLBACK_ACTION_PREFIX, CALLBACK_CONTEXT
from callmodel.events import CallbackFinished
from crm.bridge.ami import AmiBridge
from crm.bridge.translate import AGENT_NO_ANSWER, AmiEvent
from tests.integration.conftest import Hotline
from tests.support.aio import ask


def test_an_originate_the_agents_side_fails_is_reported_for_its_attempt(hotline: Hotline):
    async def originate(ami: AmiBridge) -> AmiEvent:
        seen: asyncio.Queue[AmiEvent] = asyncio.Queue()
        ami.observers.append(
            lambda e, _: seen.put_nowait(e) if isinstance(e, CallbackFinished) else None
        )
        await ami.action(
            {
                "Action": "Originate",
                "ActionID": f"{CALLBACK_ACTION_PREFIX}424242",
                "Channel": "PJSIP/no-such-phone",
                "Context": CALLBACK_CONTEXT,
                "Exten": "13800138000",
                "Priority": "1",
                "Async": "true",
            }
        )
        return await asyncio.wait_for(seen.get(), 20)

    # Asterisk's OriginateResponse (Response: Failure), as the bridge translates it.
    result = ask(hotline.settings, originate)
    assert result == CallbackFinished(
        attempt=424242, status=AGENT_NO_ANSWER, channel=None, from_dialplan=False
    )
