"""Benchmark: what our FastAGI path costs over a dialplan-only IVR on the same Asterisk.

Prints, measured side by side in one run on one private hotline (tests/support/instance.py):

1. DTMF end → INVITE at the 110 endpoint, p50/p99, for the dialplan-only IVR (Answer,
   MixMonitor, Read, Dial) and for the hotline's path (Answer, MixMonitor, FastAGI IVR with the
   ticket's outbox writes, Dial). The DTMF end is Asterisk's AMI DTMFEnd timestamp, the INVITE
   time is taken by the 110 endpoint on arrival; both read this machine's clock.
   Target: the hotline path adds ≤ 50 ms at p99.
2. The highest new-call rate (calls/s, pressing 1 → 110) each path sustains with no failed call,
   stepping the rate up; the ratio hotline/dialplan-only. Target ≥ 0.8.

Run as root: ``sudo .venv/bin/python -m bench.call_path_bench [--calls 60] [--rates 10,20,...]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from panoramisk import Manager

from tests.support.instance import Instance, isolated_hotline
from tests.support.sip_endpoint import AnsweringEndpoint
from tests.support.sipp import caller_scenario, free_port, run_scenario

PATHS = (("dialplan-only", "baseline-ivr"), ("hotline", "12345"))


class DtmfClock:
    """Asterisk's own time of each caller's DTMF end, by caller number, through AMI."""

    def __init__(self, instance: Instance) -> None:
        settings = instance.settings
        self.ends: dict[str, float] = {}
        self.manager = Manager(
            host=settings.bind_address,
            port=settings.ami_port,
            username=settings.ami_user,
            secret=settings.ami_secret,
            loop=asyncio.get_running_loop(),
        )
        self.manager.register_event("DTMFEnd", self._on_dtmf)

    def _on_dtmf(self, manager: Manager, event: dict[str, str]) -> None:
        if event.get("Direction") == "Received":
            self.ends.setdefault(event.get("CallerIDNum", ""), float(event["Timestamp"]))

    async def connect(self) -> None:
        await self.manager.connect()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


async def run_calls(
    instance: Instance, workdir: Path, service: str, prefix: str, calls: int, rate: float
) -> int:
    sipp = run_scenario(
        workdir,
        caller_scenario(keys="1", hold_ms=1000, caller=f"{prefix}[call_number]", speech=False),
        port=free_port(),
        target=f"127.0.0.1:{instance.settings.sip_port}",
        service=service,
        calls=calls,
        rate=rate,
        extra=["-l", str(int(rate * 6) + 10)],
    )
    return await asyncio.to_thread(sipp.wait, calls / rate + 120)


async def latency(
    instance: Instance, work: Path, endpoint: AnsweringEndpoint, clock: DtmfClock, calls: int
) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    for index, (name, service) in enumerate(PATHS):
        prefix = f"13{index}9"
        code = await run_calls(instance, work / f"latency-{name}", service, prefix, calls, 4)
        await asyncio.sleep(1)
        gaps = [
            (endpoint.invites[number] - clock.ends[number]) * 1000
            for number in clock.ends
            if number.startswith(prefix) and number in endpoint.invites
        ]
        print(f"  {name:14s} sipp exit {code}, {len(gaps)}/{calls} calls measured")
        results[name] = gaps
    return results


async def step_ok(
    instance: Instance,
    work: Path,
    endpoint: AnsweringEndpoint,
    service: str,
    name: str,
    rate: int,
    seconds: int,
    attempt: int,
) -> bool:
    """Run ``rate`` calls/s for ``seconds``; ok when every call reached 110 and none failed."""
    prefix = f"15{attempt:02d}{'0' if name == 'hotline' else '1'}"
    calls = rate * seconds
    started = time.monotonic()
    code = await run_calls(instance, work / f"rate-{name}-{rate}", service, prefix, calls, rate)
    await asyncio.sleep(2)
    reached = sum(1 for n in endpoint.invites if n.startswith(prefix))
    ok = code == 0 and reached == calls
    print(
        f"  {name:14s} {rate:4d} calls/s × {seconds} s: "
        f"{'ok' if ok else 'FAILED'} (sipp exit {code}, {reached}/{calls} reached 110, "
        f"{time.monotonic() - started:.0f} s)"
    )
    await asyncio.sleep(3)  # let this step's calls drain before the next
    return ok


async def max_rate(
    instance: Instance,
    work: Path,
    endpoint: AnsweringEndpoint,
    service: str,
    name: str,
    rates: list[int],
    seconds: int,
    resolution: int,
) -> int:
    """Step up through ``rates`` to the first failure, then bisect down to ``resolution``."""
    best, failed, attempt = 0, None, 0
    for rate in rates:
        attempt += 1
        if not await step_ok(instance, work, endpoint, service, name, rate, seconds, attempt):
            failed = rate
            break
        best = rate
    while failed is not None and failed - best > resolution:
        attempt += 1
        rate = (best + failed) // 2
        if await step_ok(instance, work, endpoint, service, name, rate, seconds, attempt):
            best = rate
        else:
            failed = rate
    return best


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=60, help="calls per path for latency")
    parser.add_argument(
        "--rates", default="10,20,30,40,60,80,100,120", help="call rates to step through"
    )
    parser.add_argument("--seconds", type=int, default=8, help="seconds of calls per rate step")
    parser.add_argument("--resolution", type=int, default=5, help="bisect the rate to this")
    parser.add_argument("--keep", type=Path, help="keep sipp logs and the hotline's logs here")
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        choices=["crm", "transcriber"],
        help="stop this service before the rate steps, to see what it costs (repeatable)",
    )
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        # A wide RTP range, below the ephemeral ports sipp takes for its media: at the top
        # rates hundreds of calls (two legs each) are up at once.
        with isolated_hotline(
            root, benchmark_baseline=True, rtp_start=12000, rtp_end=19998
        ) as instance:
            endpoint = await AnsweringEndpoint(instance.emergency_port).start()
            clock = DtmfClock(instance)
            await clock.connect()
            await asyncio.sleep(1)

            print(f"DTMF end → INVITE at 110 ({args.calls} calls per path, 4 calls/s):")
            gaps = await latency(instance, root, endpoint, clock, args.calls)
            for name, values in gaps.items():
                if values:
                    print(
                        f"  {name:14s} p50 {statistics.median(values):7.1f} ms   "
                        f"p99 {percentile(values, 0.99):7.1f} ms   max {max(values):7.1f} ms"
                    )
            base, ours = gaps["dialplan-only"], gaps["hotline"]
            if base and ours:
                print(
                    f"  extra latency of the hotline path: "
                    f"p50 {statistics.median(ours) - statistics.median(base):+.1f} ms, "
                    f"p99 {percentile(ours, 0.99) - percentile(base, 0.99):+.1f} ms "
                    f"(target ≤ 50 ms at p99)"
                )

            print(
                f"Highest new-call rate with no failed call, to {args.resolution} calls/s "
                f"(pressing 1 → 110, "
                f"{args.seconds} s per step):"
            )
            best = {}
            for name, service in PATHS:
                best[name] = await max_rate(
                    instance, root, endpoint, service, name, rates, args.seconds, args.resolution
                )
            for name, rate in best.items():
                print(f"  {name:14s} {rate} calls/s")
            if best["dialplan-only"]:
                ratio = best["hotline"] / best["dialplan-only"]
                print(f"  ratio hotline / dialplan-only: {ratio:.2f} (target ≥ 0.8)")
            endpoint.stop()
            clock.manager.close()


if __name__ == "__main__":
    asyncio.run(main())
