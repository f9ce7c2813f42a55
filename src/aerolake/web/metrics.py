"""Prometheus metrics of the web layer, in a registry per app (so tests may build many apps).

``/metrics`` exposes this registry plus the speed layer's figures read from its status files
(:func:`aerolake.stream.status.prometheus`), so one scrape shows lag, dead letters and restarts.
Route labels are route templates (``/api/flights/{flight_id}``), never raw paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    from aerolake.web.live import Tick


class WebMetrics:
    """The web layer's counters, gauges and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "aerolake_http_requests",
            "HTTP requests served",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_seconds = Histogram(
            "aerolake_http_request_seconds", "HTTP request latency, seconds", ["route"], registry=r
        )
        self.ws_clients = Gauge(
            "aerolake_ws_clients", "Connected live WebSocket clients", registry=r
        )
        self.ws_messages = Counter(
            "aerolake_ws_messages", "Messages queued to WebSocket clients", ["type"], registry=r
        )
        self.ws_resnapshots = Counter(
            "aerolake_ws_resnapshots",
            "Slow clients whose pending diffs were replaced by a snapshot",
            registry=r,
        )
        self.ws_client_errors = Counter(
            "aerolake_ws_client_errors",
            "Client messages answered with an error or ignored",
            ["reason"],
            registry=r,
        )
        self.live_aircraft = Gauge("aerolake_live_aircraft", "Aircraft on the live map", registry=r)
        self.live_rows = Counter(
            "aerolake_live_rows", "Enriched rows applied to the live hub", registry=r
        )
        self.tick_seconds = Histogram(
            "aerolake_live_tick_seconds",
            "Time to publish one tick and queue it to every client, seconds",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=r,
        )
        self._rows_seen = 0

    def observe_tick(self, tick: Tick, rows_received: int) -> None:
        self.live_aircraft.set(tick.stats["total"])
        if rows_received > self._rows_seen:
            self.live_rows.inc(rows_received - self._rows_seen)
        self._rows_seen = rows_received

    def exposition(self, data_dir: Path) -> bytes:
        """The text exposition format: this registry, then the stream's status figures."""
        out = generate_latest(self.registry)
        return out + stream_lines(data_dir)


def stream_lines(data_dir: Path) -> bytes:
    """The speed layer's figures as exposition lines; empty when no status was written."""
    try:
        from aerolake.stream.status import prometheus, read_status
    except ImportError:  # the speed layer's status module is optional for the web layer
        return b""
    status = read_status(data_dir)
    if not status["parts"]:
        return b""
    return "".join(f"{name} {value}\n" for name, value in prometheus(status).items()).encode()
