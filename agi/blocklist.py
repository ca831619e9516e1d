"""Ask the CRM whether a caller's number is on the harassment blocklist.

The FastAGI server asks as the call starts, in the background, and uses the answer only once
the caller's route is known and is not 110 (ivr/screening.py): the urgent path never waits for
it. The CRM normalises the number with the one normaliser it keeps for every caller
(callmodel/phones.py), so the FastAGI server holds no second one. Answers are kept a short
while per number, so a caller who redials in a burst costs the CRM one question. Any failure
raises: the handler then lets the call through (fail open).
"""

from __future__ import annotations

import time

import httpx

CHECK_PATH = "/api/blocklist/check"
# How long an answer is reused: an entry added or removed in the CRM applies within this.
CACHE_SECONDS = 30.0
CACHE_SIZE = 10_000


class CrmBlocklist:
    """``await lookup(number)`` → listed or not; raises when the CRM cannot say."""

    def __init__(self, crm_url: str, token: str, timeout: float) -> None:
        self.url = f"{crm_url}{CHECK_PATH}"
        self.token = token
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._cache: dict[str, tuple[float, bool]] = {}

    async def __call__(self, number: str) -> bool:
        now = time.monotonic()
        cached = self._cache.get(number)
        if cached is not None and cached[0] > now:
            return cached[1]
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        response = await self._client.get(
            self.url,
            params={"number": number},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        response.raise_for_status()
        blocked = response.json()["blocked"]
        if not isinstance(blocked, bool):
            raise ValueError("the CRM's blocklist answer is not a yes or no")
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[number] = (now + CACHE_SECONDS, blocked)
        return blocked

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
