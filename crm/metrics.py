"""The CRM's Prometheus metrics (``GET /metrics``): calls by route and outcome, queue waits and
service level, the AMI link (up, reconnects, dropped events), call events applied, sign-in
failures and the transcription backlog.

Figures that describe the hotline's records (calls, sign-ins, jobs) are read from the database
when Prometheus scrapes: every CRM worker reports the same numbers, they survive restarts, and
an event applied twice is still one call. What only this process sees (the AMI link, waits as
they are answered) is counted here. Labels are closed sets — never a caller's number.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callmodel.events import AgentAnswered
from crm.bridge.ami import AmiBridge
from crm.models import Call, TranscriptionJob
from crm.models.workorders import AuditEntry
from crm.reports.wallboard import SERVICE_LEVEL_SECONDS

QUEUE_WAIT_BUCKETS = (5, 10, 20, 30, 60, 120, 300, 600)


class RecordsCollector(Collector):
    def __init__(self, sessions: sessionmaker[Session], ami: AmiBridge) -> None:
        self.sessions = sessions
        self.ami = ami

    def collect(self) -> Iterator[Any]:
        with self.sessions() as session:
            by_outcome = session.execute(
                select(Call.route, Call.outcome, func.count()).group_by(Call.route, Call.outcome)
            ).all()
            offered, in_level = session.execute(
                select(
                    func.count(),
                    func.count().filter(
                        Call.outcome == "answered", Call.hold_seconds <= SERVICE_LEVEL_SECONDS
                    ),
                ).where(Call.outcome.in_(("answered", "abandoned_queue")))
            ).one()
            failed_sign_ins = session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "web_login_failed")
            )
            backlog = session.scalar(
                select(func.count())
                .select_from(TranscriptionJob)
                .where(TranscriptionJob.status.in_(("queued", "running")))
            )
        calls = CounterMetricFamily(
            "hotline_calls", "Citizens' calls by route and outcome", labels=["route", "outcome"]
        )
        for route, outcome, count in by_outcome:
            calls.add_metric([route or "none", outcome], count)
        yield calls
        yield GaugeMetricFamily(
            "hotline_service_level_ratio",
            f"Share of queued callers answered within {SERVICE_LEVEL_SECONDS} s (as the wallboard)",
            value=(in_level / offered) if offered else 1.0,
        )
        yield CounterMetricFamily(
            "hotline_sign_in_failures", "Failed console sign-ins", value=failed_sign_ins or 0
        )
        yield GaugeMetricFamily(
            "hotline_transcription_backlog",
            "Recordings waiting to be transcribed",
            value=backlog or 0,
        )
        yield GaugeMetricFamily(
            "hotline_ami_connected",
            "1 while the AMI link is up",
            value=int(self.ami.connected.is_set()),
        )
        yield CounterMetricFamily(
            "hotline_ami_reconnects",
            "AMI logins after the first",
            value=max(self.ami.logins - 1, 0),
        )
        yield CounterMetricFamily(
            "hotline_ami_events_dropped",
            "AMI events dropped because the backlog was full",
            value=self.ami.dropped,
        )


class CrmMetrics:
    """One registry per application (tests build several in one process)."""

    def __init__(self, sessions: sessionmaker[Session], ami: AmiBridge) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(RecordsCollector(sessions, ami))
        self.events_applied = Counter(
            "hotline_call_events_applied",
            "Call events applied, by kind (both producers report some)",
            ["kind"],
            registry=self.registry,
        )
        self.queue_wait = Histogram(
            "hotline_queue_wait_seconds",
            "How long answered callers waited in the queue",
            buckets=QUEUE_WAIT_BUCKETS,
            registry=self.registry,
        )
        ami.observers.append(self._observed)

    def _observed(self, event: object, _at: object) -> None:
        if isinstance(event, AgentAnswered) and event.hold_seconds is not None:
            self.queue_wait.observe(event.hold_seconds)
