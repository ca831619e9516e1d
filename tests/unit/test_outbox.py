"""The FastAGI outbox against the real CRM app: nothing lost while it is down, nothing twice."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from agi.outbox import Outbox
from callmodel import events as ev
from hotline.settings import Settings
from tests.support.crm_server import CrmServer
from tests.support.sipp import free_port
from tests.support.tokens import script_token_at

TOKEN = "test-token"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        crm_ingest_token=TOKEN,
        ami_secret="x",
        crm_port=free_port(socket.SOCK_STREAM),
    )


def started(uid: str) -> ev.CallStarted:
    return ev.CallStarted(
        event_id=f"s-{uid}",
        uniqueid=uid,
        caller_number="13800138000",
        occurred_at=datetime.now(UTC),
    )


async def test_events_wait_while_the_crm_is_down_and_arrive_once_when_it_is_back(
    tmp_path: Path, settings: Settings
):
    outbox = Outbox(tmp_path / "outbox.db")
    url = f"http://127.0.0.1:{settings.crm_port}/api/call-events"
    delivery = asyncio.create_task(outbox.deliver_forever(url, TOKEN, 1.0))
    for uid in ("1.1", "1.2"):
        await outbox.put(started(uid))
    await asyncio.sleep(0.5)
    assert len(outbox.pending()) == 2, "the CRM is down: events must stay"

    # A restart of the FastAGI server: a new outbox object on the same file.
    reopened = Outbox(tmp_path / "outbox.db")
    assert len(reopened.pending()) == 2

    crm = await asyncio.to_thread(CrmServer(settings).start)
    try:
        await reopened.put(started("1.3"))
        for _ in range(100):
            if not outbox.pending():
                break
            await asyncio.sleep(0.1)
        assert outbox.pending() == []
        async with httpx.AsyncClient() as client:
            auth = script_token_at(settings.db_url)
            calls = (await client.get(f"{crm.url}/api/calls", headers=auth)).json()
        assert sorted(c["uniqueid"] for c in calls) == ["1.1", "1.2", "1.3"]
        assert len({c["ticket"]["number"] for c in calls}) == 3
    finally:
        delivery.cancel()
        await asyncio.to_thread(crm.stop)


async def test_an_event_the_crm_rejects_is_kept_aside_and_the_rest_go_through(
    tmp_path: Path, settings: Settings
):
    outbox = Outbox(tmp_path / "outbox.db")
    bad = started("2.1").model_copy(update={"caller_number": "9" * 200})
    outbox.put_sync(bad)
    outbox.put_sync(started("2.2"))
    crm = await asyncio.to_thread(CrmServer(settings).start)
    try:
        async with httpx.AsyncClient() as client:
            taken = await outbox.deliver_once(client, f"{crm.url}/api/call-events", TOKEN)
        assert taken == 1
        assert outbox.pending() == []
        (rejected,) = outbox.rejected()
        assert rejected[0] == "s-2.1" and "caller_number" in rejected[1]
    finally:
        await asyncio.to_thread(crm.stop)


async def test_a_wrong_token_is_refused_and_events_stay(tmp_path: Path, settings: Settings):
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.put_sync(started("3.1"))
    crm = await asyncio.to_thread(CrmServer(settings).start)
    try:
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.HTTPStatusError):
                await outbox.deliver_once(client, f"{crm.url}/api/call-events", "wrong")
        assert len(outbox.pending()) == 1
    finally:
        await asyncio.to_thread(crm.stop)
