"""The FastAGI server's durable outbox of call events, and their delivery to the CRM.

A call event is written here (SQLite, fsync'd) before the call is routed, then sent to the CRM
in the background, oldest first, in batches. If the CRM is down or slow the call is not
delayed: events wait here, across restarts, until the CRM takes them. The CRM applies each
event id once, so a resend after a lost reply duplicates nothing. An event the CRM rejects as
invalid is kept with the CRM's answer instead of blocking the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from callmodel.events import CallEvent

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    rejected TEXT
);
"""
BATCH = 100
MIN_BACKOFF = 0.2
MAX_BACKOFF = 5.0


def _settle(stored: asyncio.Future[None], error: Exception | None) -> None:
    if stored.done():
        return
    if error is None:
        stored.set_result(None)
    else:
        stored.set_exception(error)


@dataclass(frozen=True)
class Pending:
    id: int
    event_id: str
    body: str


class Outbox:
    """A table of events not yet taken by the CRM. One writer thread keeps SQLite simple.

    Writes are group-committed: every event that arrives while a commit is on its way to disk
    goes into the next commit, so a busy hotline pays one fsync per batch, not per event.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._waiting: list[tuple[str, str, asyncio.Future[None]]] = []
        self._flush_scheduled = False
        self.wakeup = asyncio.Event()
        # What this process wrote and how delivery went, for its metrics (agi/metrics.py).
        self.written: Counter[str] = Counter()
        self.delivery_failures = 0
        self.crm_reachable: bool | None = None
        self._run(self._create)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            # Callers' numbers wait here: the file (and SQLite's -wal/-shm, which take its
            # mode) is the FastAGI server's user's alone.
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            db = sqlite3.connect(self.path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA busy_timeout=10000")
            self._local.db = db
        return db

    def _run(self, fn, *args):  # type: ignore[no-untyped-def]
        return self._executor.submit(fn, *args).result()

    def _create(self) -> None:
        self._db().executescript(SCHEMA)

    # Writers ---------------------------------------------------------------------------------

    async def put(self, event: CallEvent) -> None:
        """Durably keep one event; returns once it is on disk."""
        loop = asyncio.get_running_loop()
        stored: asyncio.Future[None] = loop.create_future()
        with self._lock:
            self._waiting.append((event.event_id, event.model_dump_json(), stored))
            schedule = not self._flush_scheduled
            self._flush_scheduled = True
        if schedule:
            loop.run_in_executor(self._executor, self._flush, loop)
        await stored
        self.written[event.kind] += 1
        self.wakeup.set()

    def put_sync(self, event: CallEvent) -> None:
        """The same, for process AGI scripts that have no event loop of their own."""
        self._run(self._insert, [(event.event_id, event.model_dump_json())])
        self.written[event.kind] += 1

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        """Commit everything waiting in one transaction, then tell each writer."""
        with self._lock:
            batch, self._waiting = self._waiting, []
            self._flush_scheduled = False
        error: Exception | None = None
        try:
            self._insert([(event_id, body) for event_id, body, _ in batch])
        except Exception as exc:  # every writer in the batch hears of it
            error = exc
        for _, _, stored in batch:
            loop.call_soon_threadsafe(_settle, stored, error)

    def _insert(self, rows: list[tuple[str, str]]) -> None:
        db = self._db()
        now = time.time()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT OR IGNORE INTO outbox (event_id, body, created_at) VALUES (?, ?, ?)",
                [(event_id, body, now) for event_id, body in rows],
            )
        except Exception:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # Delivery --------------------------------------------------------------------------------

    def pending(self, limit: int = BATCH) -> list[Pending]:
        return [
            Pending(*row)
            for row in self._run(
                lambda: (
                    self._db()
                    .execute(
                        "SELECT id, event_id, body FROM outbox WHERE rejected IS NULL "
                        "ORDER BY id LIMIT ?",
                        (limit,),
                    )
                    .fetchall()
                )
            )
        ]

    def counts(self) -> tuple[int, int]:
        """How many events wait for the CRM, and how many it rejected."""
        return self._run(
            lambda: (
                self._db()
                .execute("SELECT count(*) - count(rejected), count(rejected) FROM outbox")
                .fetchone()
            )
        )

    def rejected(self) -> list[tuple[str, str]]:
        return self._run(
            lambda: (
                self._db()
                .execute("SELECT event_id, rejected FROM outbox WHERE rejected IS NOT NULL")
                .fetchall()
            )
        )

    def _delivered(self, ids: list[int]) -> None:
        self._db().executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])

    def _reject(self, item_id: int, reason: str) -> None:
        self._db().execute("UPDATE outbox SET rejected = ? WHERE id = ?", (reason[:2000], item_id))

    def _attempted(self, ids: list[int]) -> None:
        self._db().executemany(
            "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", [(i,) for i in ids]
        )

    async def deliver_once(self, client: httpx.AsyncClient, url: str, token: str) -> int:
        """Send what is pending; returns how many the CRM took. Raises if the CRM is away."""
        batch = await asyncio.to_thread(self.pending)
        if not batch:
            return 0
        headers = {"Authorization": f"Bearer {token}"}
        payload = {"events": [json.loads(p.body) for p in batch]}
        ids = [p.id for p in batch]
        await asyncio.to_thread(self._run, self._attempted, ids)
        response = await client.post(url, json=payload, headers=headers)
        if response.status_code == 422 and len(batch) > 1:
            # One bad event must not hold back the others: send them one by one.
            taken = 0
            for item in batch:
                one = await client.post(
                    url, json={"events": [json.loads(item.body)]}, headers=headers
                )
                taken += await self._settle(one, [item])
            return taken
        return await self._settle(response, batch)

    async def _settle(self, response: httpx.Response, batch: list[Pending]) -> int:
        if response.status_code == 200:
            await asyncio.to_thread(self._run, self._delivered, [p.id for p in batch])
            return len(batch)
        if response.status_code == 422:
            # The CRM's answer quotes the event (numbers, what was said): kept in the outbox's
            # own file, not in the log.
            log.error(
                "CRM rejected event %s (422); the reason is kept in the outbox", batch[0].event_id
            )
            await asyncio.to_thread(self._run, self._reject, batch[0].id, response.text)
            return 0
        raise httpx.HTTPStatusError(
            f"CRM answered {response.status_code}", request=response.request, response=response
        )

    async def deliver_forever(self, url: str, token: str, timeout: float) -> None:
        """Deliver as events arrive; back off while the CRM is unreachable, never give up."""
        backoff = MIN_BACKOFF
        async with httpx.AsyncClient(timeout=timeout) as client:
            while True:
                self.wakeup.clear()
                try:
                    while await self.deliver_once(client, url, token):
                        pass
                    self.crm_reachable = True
                    backoff = MIN_BACKOFF
                    await self.wakeup.wait()
                except (httpx.HTTPError, OSError) as exc:
                    self.delivery_failures += 1
                    self.crm_reachable = False
                    log.warning(
                        "CRM unreachable (%s: %s); retrying in %.1f s",
                        type(exc).__name__,
                        exc,
                        backoff,
                    )
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.wakeup.wait(), backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
