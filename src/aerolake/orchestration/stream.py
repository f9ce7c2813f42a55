"""``aerolake stream``: the producer and the processor(s) under the supervisor.

- ``kafka://`` bus: each part is its own OS process (a crash or ``kill -9`` of one leaves the
  others running); ``processors`` instances share the topic's partitions as one consumer group.
- ``memory://`` bus: the bus lives inside this process, so the parts run as threads of it
  (a crash is an exception in a thread; the restarted part resumes from the committed offsets
  of the same in-memory bus). Also used with any bus when ``on_live`` is given, because the
  callback needs the processor's results in this process (the web app's live map).

SIGTERM or SIGINT (when run from the main thread) or ``stop_event`` stops the supervisor, which
lets every part drain, flush and commit.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from aerolake.lake import Lake
from aerolake.settings import Settings
from aerolake.stream.bus import GROUP, open_bus
from aerolake.stream.persist import DEFAULT_SEGMENT_OFFSETS, SpeedSink
from aerolake.stream.processor import Processor, ProcessResult
from aerolake.stream.runner import Runner
from aerolake.stream.supervisor import (
    Backoff,
    Component,
    ProcessComponent,
    Supervisor,
    ThreadComponent,
)

log = logging.getLogger(__name__)

OnLive = Callable[[ProcessResult], None]
SIMULATOR_POLL_INTERVAL_S = 5.0


@dataclass(frozen=True)
class StreamOptions:
    """Knobs of the speed layer that are not user settings (tests shrink them)."""

    segment_offsets: int = DEFAULT_SEGMENT_OFFSETS
    flush_interval_s: float = 5.0
    batch_size: int = 5_000
    processors: int = 1
    group: str = GROUP
    producer: bool = True
    in_process: bool | None = None  # threads instead of processes; default: memory bus only
    backoff: Backoff = field(default_factory=Backoff)
    drain_timeout_s: float = 30.0


def poll_interval(settings: Settings) -> float:
    """``AEROLAKE_POLL_INTERVAL``, else 5 s for the simulator, else for OpenSky the interval at
    which the day's credits last 24 h (never below 5 s)."""
    if settings.poll_interval is not None:
        return settings.poll_interval
    if settings.source != "opensky":
        return SIMULATOR_POLL_INTERVAL_S
    from aerolake.sources.opensky import ANONYMOUS_DAILY_CREDITS, default_poll_interval

    region = settings.region_def
    bbox = None if region.name == "world" else region.bbox
    credits = (
        settings.opensky_daily_credits
        if settings.opensky_credentials()
        else ANONYMOUS_DAILY_CREDITS
    )
    return default_poll_interval(bbox, credits)


def processor_factory(settings: Settings) -> Callable[[], Processor]:
    """Processors sharing one load of the reference data (airports, aircraft database)."""
    from aerolake.refdata.aircraft_db import load_aircraft_db
    from aerolake.refdata.airports import load_airports

    airports = load_airports()
    aircraft = load_aircraft_db(settings.data_dir)
    # The reference data lives as long as the process: keep it out of every later GC pass.
    gc.collect()
    gc.freeze()
    return lambda: Processor(aircraft=aircraft, airports=airports)


def lock_path(settings: Settings) -> Path | None:
    """The sink's inter-process write lock, for a lake on this host's filesystem."""
    return None if "://" in settings.lake else settings.data_dir / "stream" / "speed-sink.lock"


def ensure_topics(settings: Settings) -> None:
    """Create the stream's topics on a Kafka bus (a memory bus creates them on first use,
    with its own partition count)."""
    if settings.bus_url.startswith("kafka:"):
        from aerolake.stream.bus import TOPICS

        open_bus(settings.bus_url).ensure_topics(TOPICS)


def run_processor(
    stop: threading.Event,
    settings: Settings,
    options: StreamOptions,
    on_live: OnLive | None = None,
) -> None:
    """One processor instance until ``stop``; module-level so a spawned process can run it."""
    ensure_topics(settings)
    bus = open_bus(settings.bus_url)
    lake = Lake.open(settings.lake, settings.s3_endpoint)
    sink = SpeedSink(lake, segment_offsets=options.segment_offsets, lock_path=lock_path(settings))
    runner = Runner(
        bus,
        sink,
        processor_factory(settings),
        group=options.group,
        data_dir=settings.data_dir,
        batch_size=options.batch_size,
        flush_interval_s=options.flush_interval_s,
        on_result=on_live,
    )
    runner.run(stop)


def run_producer(stop: threading.Event, settings: Settings) -> None:
    """The producer until ``stop``; module-level so a spawned process can run it."""
    from aerolake.orchestration.sources import open_live_source
    from aerolake.sources.simulator import SimulatorConfig, SimulatorLive
    from aerolake.stream.producer import StateProducer

    ensure_topics(settings)
    bus = open_bus(settings.bus_url)
    source = open_live_source(settings)

    def fallback() -> SimulatorLive:
        config = SimulatorConfig(region=settings.region_def, seed=settings.seed)
        return SimulatorLive(config, source_name="simulator-fallback")

    StateProducer(
        source,
        bus.producer(),
        interval_s=poll_interval(settings),
        fallback=fallback if settings.source == "opensky" else None,
        data_dir=settings.data_dir,
    ).run(stop)


def components(
    settings: Settings, options: StreamOptions, on_live: OnLive | None = None
) -> list[Component]:
    """The parts to supervise: the producer (optional) and ``options.processors`` processors."""
    in_process = options.in_process
    if in_process is None:
        in_process = settings.bus_url.startswith("memory:") or on_live is not None
    if not in_process and on_live is not None:
        raise ValueError("on_live needs the processor in this process (in_process=True)")
    out: list[Component] = []
    if options.producer:
        out.append(
            ThreadComponent("producer", run_producer, settings)
            if in_process
            else ProcessComponent("producer", run_producer, settings)
        )
    for i in range(options.processors):
        name = "processor" if options.processors == 1 else f"processor-{i + 1}"
        out.append(
            ThreadComponent(name, run_processor, settings, options, on_live)
            if in_process
            else ProcessComponent(name, run_processor, settings, options)
        )
    return out


def run_stream(
    settings: Settings,
    *,
    stop_event: threading.Event | None = None,
    on_live: OnLive | None = None,
    options: StreamOptions | None = None,
) -> int:
    """Run the speed layer until ``stop_event`` is set (or SIGTERM/SIGINT in the main thread).
    Returns the exit code: 0 when every part drained cleanly."""
    options = options or StreamOptions()
    stop = stop_event or threading.Event()
    supervisor = Supervisor(
        components(settings, options, on_live),
        backoff=options.backoff,
        drain_timeout_s=options.drain_timeout_s,
        data_dir=settings.data_dir,
    )
    restore: dict[signal.Signals, object] = {}
    if threading.current_thread() is threading.main_thread():

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s; draining", signal.Signals(signum).name)
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            restore[sig] = signal.signal(sig, on_signal)
    log.info(
        "stream: bus %s, source %s every %.0f s, lake %s",
        settings.redacted()["bus_url"],
        settings.source,
        poll_interval(settings),
        settings.redacted()["lake"],
    )
    try:
        return supervisor.run(stop)
    finally:
        for sig, handler in restore.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
