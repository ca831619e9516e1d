"""Benchmark: what a flood of sign-ins does to the call path's API (``POST /api/call-events``).

Serves the real CRM (uvicorn, one process, SQLite; no Asterisk) and posts call events one after
another while ``--flooders`` threads send sign-ins with wrong passwords as fast as they are
answered. Scenarios, each on a fresh hotline:

* ``quiet``: no sign-ins (the baseline);
* ``locked account``: every guess at one 工号, which is locked after 5 (refused before hashing);
* ``spread, bounded``: a guess at a new 工号 each time with the address limit lifted (the worst
  case: a flood from many addresses that no lock stops), Argon2 checks bounded to 1 at once;
* ``spread, unbounded``: the same with 64 checks at once, as the CRM was before the bound.

Prints call-event p50/p99 per scenario and the p99 ratio to ``quiet``, with how the sign-ins
were answered. The flood runs in processes of its own. Every request goes to 127.0.0.1; loops
are bounded in count and time.

``python -m bench.sign_in_flood_bench [--events 300] [--flooders 8] [--rate 8]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from crm import db
from crm.accounts.services import set_account
from crm.domain.access import Role
from hotline.settings import load_settings
from tests.support.crm_server import CrmServer
from tests.support.sipp import free_port

TOKEN = "bench-ingest-token"
PASSWORD = "bench sign-in flood 9"
FLOOD_SECONDS_MAX = 120.0
SCENARIOS: list[tuple[str, str | None, int]] = [
    ("quiet", None, 1),
    ("locked account", "one", 1),
    ("spread, bounded", "spread", 1),
    ("spread, unbounded", "spread", 64),
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def call_started(n: int) -> dict[str, Any]:
    return {
        "kind": "call_started",
        "event_id": f"bench-{n}",
        "uniqueid": f"1700000000.{n}",
        "caller_number": f"1380013{n % 10000:04d}",
        "occurred_at": datetime.now(UTC).isoformat(),
    }


def flood(
    base: str, mode: str, interval: float, go: Any, stop: Any, answers: Any, index: int
) -> None:
    """Wrong-password sign-ins from ``go`` until ``stop`` (or the time limit); the answers'
    status codes go to ``answers`` when done. Runs in a process of its own (forked before the
    server starts), so the flood's own Python work does not compete with the server for this
    process's interpreter lock."""
    go.wait(FLOOD_SECONDS_MAX)
    deadline = time.monotonic() + FLOOD_SECONDS_MAX
    n = 0
    seen: Counter[int] = Counter()
    with httpx.Client(base_url=base, timeout=30) as client:
        next_at = time.monotonic()
        while not stop.is_set() and time.monotonic() < deadline:
            next_at += interval
            n += 1
            username = "agent1" if mode == "one" else f"guess-{index}-{n}"
            answer = client.post(
                "/web/login",
                data={"username": username, "password": f"wrong-{n}"},
                follow_redirects=False,
            )
            seen[answer.status_code] += 1
            stop.wait(max(0.0, next_at - time.monotonic()))
    answers.put(dict(seen))


def run(
    name: str, mode: str | None, checks: int, events: int, flooders: int, rate: float = 0
) -> dict[str, Any]:
    """One scenario on a fresh hotline; ``rate``: sign-ins per second over all flooders (0: as
    fast as they are answered)."""
    with tempfile.TemporaryDirectory(prefix="signin-bench-") as tmp:
        os.environ["HOTLINE_CONFIG"] = str(Path(tmp) / "none.yaml")
        settings = load_settings(
            var_dir=Path(tmp),
            crm_port=free_port(socket.SOCK_STREAM),
            crm_ingest_token=TOKEN,
            sign_in={
                "concurrent_checks": checks,
                "address_failures": 10**9,
                "check_wait_seconds": 3.0,
            },
        )
        base = f"http://127.0.0.1:{settings.crm_port}"
        fork = multiprocessing.get_context("fork")
        go, stop, replies = fork.Event(), fork.Event(), fork.Queue()
        flooding = [
            fork.Process(
                target=flood,
                args=(base, mode, flooders / rate if rate else 0.0, go, stop, replies, i),
                daemon=True,
            )
            for i in range(flooders if mode else 0)
        ]
        for process in flooding:  # forked while this process has no other thread yet
            process.start()
        server = CrmServer(settings).start()
        engine = db.make_engine(settings.db_url)
        with db.transaction(db.make_sessionmaker(engine)) as session:
            set_account(session, "agent1", PASSWORD, [Role.AGENT])
        engine.dispose()
        answers: Counter[int] = Counter()
        latencies: list[float] = []
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                headers = {"Authorization": f"Bearer {TOKEN}"}
                for n in range(20):  # warm up: the first requests open connections and tables
                    client.post("/api/call-events", json={"events": [call_started(-n - 1)]},
                                headers=headers)  # fmt: skip
                go.set()
                time.sleep(1.0 if flooding else 0)
                for n in range(events):
                    started = time.perf_counter()
                    answer = client.post(
                        "/api/call-events", json={"events": [call_started(n)]}, headers=headers
                    )
                    latencies.append((time.perf_counter() - started) * 1000)
                    answer.raise_for_status()
        finally:
            stop.set()
            go.set()
            for _ in flooding:
                answers.update(replies.get(timeout=FLOOD_SECONDS_MAX))
            for process in flooding:
                process.join(FLOOD_SECONDS_MAX)
            server.stop()
    return {
        "name": name,
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "sign_ins": dict(sorted(answers.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--flooders", type=int, default=8)
    parser.add_argument(
        "--rate", type=float, default=0, help="sign-ins per second in all (0: as fast as answered)"
    )
    args = parser.parse_args()
    results = [
        run(name, mode, checks, args.events, args.flooders, args.rate)
        for name, mode, checks in SCENARIOS
    ]
    quiet = results[0]["p99"]
    pace = f"{args.rate:g}/s" if args.rate else "as fast as answered"
    print(
        f"call events: {args.events} one after another; "
        f"sign-in flood: {args.flooders} processes, {pace}"
    )
    print(f"{'scenario':<20} {'p50 ms':>8} {'p99 ms':>8} {'p99/quiet':>10}  sign-in answers")
    for r in results:
        print(
            f"{r['name']:<20} {r['p50']:8.1f} {r['p99']:8.1f} {r['p99'] / quiet:10.2f}  "
            f"{r['sign_ins'] or '-'}"
        )


if __name__ == "__main__":
    main()
