"""The FastAGI server's metrics: call events it recorded, the outbox's backlog and the CRM's
rejections, and how often delivery to the CRM failed. Served with ``/healthz`` on
``agi_metrics_port`` (hotline/observability.py).

The backlog is read from the outbox when Prometheus scrapes, so it survives restarts and is
never stale; the counters count what this process did since it started, as counters do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from agi.outbox import Outbox
from agi.server import FastAgiServer


class OutboxCollector(Collector):
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def collect(self) -> Iterator[Any]:
        pending, rejected = self.outbox.counts()
        yield GaugeMetricFamily(
            "hotline_outbox_pending", "Call events waiting for the CRM", value=pending
        )
        yield GaugeMetricFamily(
            "hotline_outbox_rejected", "Call events the CRM rejected as invalid", value=rejected
        )
        written = CounterMetricFamily(
            "hotline_agi_events", "Call events the FastAGI server recorded", labels=["kind"]
        )
        for kind, count in sorted(self.outbox.written.items()):
            written.add_metric([kind], count)
        yield written
        yield CounterMetricFamily(
            "hotline_outbox_delivery_failures",
            "Times the CRM could not be reached or answered with an error",
            value=self.outbox.delivery_failures,
        )


def agi_registry(outbox: Outbox) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(OutboxCollector(outbox))
    return registry


def agi_health(server: FastAgiServer, outbox: Outbox) -> dict[str, Any]:
    """Serving FastAGI and able to read its outbox. The CRM being away is reported, not a
    failure: calls and their events go on without it."""
    pending, _ = outbox.counts()
    reachable = {None: "unknown", True: "reachable", False: "unreachable"}[outbox.crm_reachable]
    serving = server.server is not None and server.server.is_serving()
    return {"fastagi": serving, "outbox_pending": pending, "crm": reachable}
