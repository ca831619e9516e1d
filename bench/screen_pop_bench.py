"""Screen-pop latency: Asterisk's AgentCalled event → the pop drawn in the agent's browser.

Starts a private hotline (real Asterisk, FastAGI, CRM; tests/support/instance.py), signs an
agent in through the console in headless Chromium (Debian's /usr/bin/chromium), places real
sipp calls that ring the agent's sipp phone, and reads for each pop the AgentCalled timestamp
(Asterisk's own, ``timestampevents=yes``, carried in the pop) and the moment the page had
drawn it (after the next animation frame). Both clocks are this machine's. Prints p50/p99.

    sudo .venv/bin/python -m bench.screen_pop_bench --calls 30
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from crm import db
from crm.accounts.services import set_account
from crm.domain.access import Role
from tests.integration.conftest import Hotline
from tests.support.instance import AGENT_ONE, isolated_hotline
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

PASSWORD = "bench-password-123"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def run(calls: int) -> list[dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp, isolated_hotline(Path(tmp)) as instance:
        hotline = Hotline.of(instance)
        engine = db.make_engine(instance.settings.db_url)
        with db.transaction(db.make_sessionmaker(engine)) as session:
            set_account(session, "bench", PASSWORD, [Role.AGENT], extension=AGENT_ONE)
        engine.dispose()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            base = instance.settings.crm_url
            page.goto(f"{base}/web/login?next=/web/agent")
            page.fill("input[name=username]", "bench")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("body[data-ready='1']")
            page.wait_for_function("document.getElementById('link-state').className === 'dot on'")
            page.click("#btn-sign-in")
            page.wait_for_function(
                "document.getElementById('agent-state').dataset.state === 'ready'"
            )
            for i in range(calls):
                phone = hotline.phone(AGENT_ONE, ring_ms=300)
                _, caller = hotline.call(keys="2", hold_ms=2500, speech=False)
                page.wait_for_function(f"window.__pops.length > {i}", timeout=30_000)
                caller.wait(60)
                phone.wait(60)
                time.sleep(0.3)
            pops = page.evaluate("window.__pops")
            browser.close()
    return [p for p in pops if p["agent_called_at"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    pops = run(args.calls)
    latencies = [1000 * (p["drawn_at"] - p["agent_called_at"]) for p in pops]
    print(f"screen pops measured: {len(latencies)} of {args.calls} calls")
    stages = (
        ("Asterisk → CRM (AMI)", "agent_called_at", "ami_received_at"),
        ("CRM: pop sent", "ami_received_at", "sent_at"),
        ("WebSocket → browser", "sent_at", "received_at"),
        ("browser: drawn", "received_at", "drawn_at"),
    )
    for name, start, end in stages:
        part = [1000 * (p[end] - p[start]) for p in pops if p.get(start) and p.get(end)]
        if part:
            print(
                f"  {name:24s} p50 {statistics.median(part):6.1f} ms"
                f"  p99 {percentile(part, 0.99):6.1f} ms"
            )
    print(
        f"AgentCalled → pop drawn  p50 {statistics.median(latencies):.1f} ms  "
        f"p99 {percentile(latencies, 0.99):.1f} ms  max {max(latencies):.1f} ms  "
        f"min {min(latencies):.1f} ms  (target p99 ≤ 100 ms)"
    )


if __name__ == "__main__":
    main()
