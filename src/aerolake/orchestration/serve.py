"""``aerolake serve``: the web app under uvicorn, its live hub fed from the speed layer.

Live sources (``live_source``):

- ``stream``: run the speed layer in this process (:func:`aerolake.orchestration.stream.run_stream`
  with ``on_live``): producer and processor threads on the configured bus, writing the lake
  as ``aerolake stream`` does, and every processed batch goes to the hub.
- ``kafka``: consume ``aerolake.states.enriched`` and ``aerolake.alerts`` in the web's own
  consumer group ``aerolake-web-<hostname>``, so the web never takes partitions from the
  processors. Rows older than the hub's removal horizon (300 s) are skipped, so a first start
  (which reads from the earliest retained offset) does not paint history as live.
- ``simulator``: poll the simulator and run a :class:`~aerolake.stream.processor.Processor`
  here, with no bus and no lake writes: a self-contained demo of the live map.
- ``none``: no feed (REST over the serving tables only).
- ``auto``: ``kafka`` for a ``kafka://`` bus, else ``stream``.

The feed runs in a thread; the hub is thread-safe. Stopping uvicorn (Ctrl-C, SIGTERM) stops
the feed, which drains like ``aerolake stream`` does.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Final, Literal

import orjson

from aerolake.settings import Settings
from aerolake.web.live import REMOVE_AFTER_S, LiveHub

log = logging.getLogger(__name__)

LiveSourceName = Literal["auto", "stream", "kafka", "simulator", "none"]
LIVE_SOURCES: Final[tuple[str, ...]] = ("auto", "stream", "kafka", "simulator", "none")
Feed = Callable[[threading.Event], None]


def serve(
    settings: Settings,
    *,
    live_source: LiveSourceName = "auto",
    host: str | None = None,
    port: int | None = None,
    hub: LiveHub | None = None,
) -> None:
    """Serve until interrupted on ``host:port`` (default: settings, 127.0.0.1:8050)."""
    import uvicorn

    from aerolake.web.app import create_app
    from aerolake.web.security import bind_warning

    host = host or settings.web_host
    port = port or settings.web_port
    hub = hub or LiveHub()
    warning = bind_warning(host)
    if warning:
        log.warning(warning)
    stop = threading.Event()
    feed = live_feed(settings, hub, live_source)
    thread = threading.Thread(target=_guard(feed, stop), name="aerolake-live-feed", daemon=True)
    config = uvicorn.Config(
        create_app(settings, hub),
        host=host,
        port=port,
        ws_max_size=64 * 1024,  # clients send small control messages only
        ws_per_message_deflate=False,  # compressing each client's copy costs more CPU than it saves
        ws_ping_interval=20.0,
        log_level="info",
    )
    thread.start()
    try:
        uvicorn.Server(config).run()
    finally:
        stop.set()
        thread.join(timeout=60)


def resolve_source(settings: Settings, live_source: LiveSourceName) -> str:
    if live_source != "auto":
        return live_source
    return "kafka" if settings.bus_url.startswith("kafka:") else "stream"


def live_feed(settings: Settings, hub: LiveHub, live_source: LiveSourceName) -> Feed:
    """The function that feeds ``hub`` until its stop event is set."""
    kind = resolve_source(settings, live_source)
    if kind == "stream":
        return lambda stop: _stream_feed(settings, hub, stop)
    if kind == "kafka":
        return lambda stop: kafka_feed(settings, hub, stop)
    if kind == "simulator":
        return lambda stop: simulator_feed(settings, hub, stop)
    return lambda stop: None


def on_live(hub: LiveHub) -> Callable[[Any], None]:
    """The callback for the stream runner: one processed batch (``ProcessResult``) -> hub."""

    def feed(result: Any) -> None:
        if result.enriched.num_rows:
            hub.update(result.enriched)
        for alert in result.alerts:
            hub.alert(alert)
        if result.evicted:
            hub.evict(s.icao24 for s in result.evicted)

    return feed


def _stream_feed(settings: Settings, hub: LiveHub, stop: threading.Event) -> None:
    from aerolake.orchestration.stream import run_stream

    run_stream(settings, stop_event=stop, on_live=on_live(hub))


def kafka_feed(settings: Settings, hub: LiveHub, stop: threading.Event) -> None:
    """Consume enriched states and alerts in group ``aerolake-web-<hostname>`` until ``stop``."""
    from aerolake.stream.bus import ALERTS, ENRICHED, next_offsets, open_bus

    bus = open_bus(settings.bus_url)
    consumer = bus.consumer([ENRICHED, ALERTS], group=f"aerolake-web-{socket.gethostname()}")
    try:
        while not stop.is_set():
            messages = consumer.poll_batch(5000, 0.5)
            if not messages:
                continue
            horizon = time.time() - REMOVE_AFTER_S
            rows = []
            for m in messages:
                doc = _loads(m.value)
                if doc is None:
                    continue
                if m.topic == ALERTS:
                    hub.alert(doc)
                elif isinstance(doc.get("time"), int | float) and doc["time"] >= horizon:
                    rows.append(doc)
            if rows:
                hub.update(rows)
            consumer.commit(next_offsets(messages))
    finally:
        consumer.close()
        bus.close()


def simulator_feed(settings: Settings, hub: LiveHub, stop: threading.Event) -> None:
    """Poll the simulator every poll interval and process in place (no bus, no lake)."""
    from aerolake.orchestration.stream import poll_interval, processor_factory
    from aerolake.sources.simulator import SimulatorConfig, SimulatorLive
    from aerolake.stream.bus import RAW, Message
    from aerolake.stream.messages import encode_batch

    source = SimulatorLive(SimulatorConfig(region=settings.region_def, seed=settings.seed))
    processor = processor_factory(settings)()
    feed = on_live(hub)
    interval = poll_interval(settings)
    while not stop.is_set():
        started = time.monotonic()
        batch = source.poll()
        now = dt.datetime.now(dt.UTC)
        messages = [
            Message(RAW, 0, i, key, value, now.timestamp())
            for i, (key, value) in enumerate(encode_batch(batch))
        ]
        feed(processor.process(messages, now))
        stop.wait(max(0.0, interval - (time.monotonic() - started)))


def _guard(feed: Feed, stop: threading.Event) -> Callable[[], None]:
    """Run the feed; a crash is logged (the web keeps serving what it has), not re-raised."""

    def run() -> None:
        try:
            feed(stop)
        except Exception:
            log.exception("the live feed stopped with an error; the map will go stale")

    return run


def _loads(value: bytes) -> dict[str, Any] | None:
    try:
        doc = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None
