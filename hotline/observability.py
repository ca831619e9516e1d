"""Metrics and health over HTTP for the hotline's processes that are not the CRM (the FastAGI
server, the transcriber); the CRM serves the same two paths itself.

One small HTTP server per process, bound to the hotline's address: ``/metrics`` in Prometheus'
text format (prometheus-client) and ``/healthz`` as JSON naming each dependency, 200 when all
are well and 503 when one is not. It runs in a daemon thread, so a scrape never waits on, or
delays, the event loop that answers calls. It must never expose a caller's number or words:
labels are closed sets (event kinds, statuses), never call data.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

Health = Callable[[], dict[str, Any]]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Scrapes every few seconds would drown the service's own log."""


def health_response(
    checks: dict[str, Any], required: tuple[str, ...] | None = None
) -> tuple[int, dict[str, Any]]:
    """The status code and body of ``/healthz``: 503 as soon as a required check (every
    boolean one, unless named) is false; the others are reported as they are."""
    names = required if required is not None else tuple(checks)
    ok = all(checks.get(name) is not False for name in names)
    return (200 if ok else 503), {"ok": ok, **checks}


def _app(registry: CollectorRegistry, health: Health) -> Callable[..., Iterable[bytes]]:
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            try:
                status, body = health_response(health())
            except Exception as exc:  # a check that fails outright is a failed check
                status, body = 503, {"ok": False, "error": type(exc).__name__}
            payload = json.dumps(body, ensure_ascii=False).encode()
            reason = "OK" if status == 200 else "Service Unavailable"
            start_response(
                f"{status} {reason}", [("Content-Type", "application/json; charset=utf-8")]
            )
            return [payload]
        return metrics(environ, start_response)  # type: ignore[no-any-return]

    return app


def serve_metrics(registry: CollectorRegistry, health: Health, host: str, port: int) -> WSGIServer:
    """Start serving ``/metrics`` and ``/healthz`` on host:port in a daemon thread."""
    server = make_server(host, port, _app(registry, health), handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
