"""``aerolake up``: the whole system on one machine — stream, web and the periodic batch jobs.

One process (so the in-process ``memory://`` bus reaches the web's live map) supervising:

- ``stream``: the speed layer, :func:`~aerolake.orchestration.stream.run_stream` (producer and
  processor under its own supervisor, which restarts them). With the memory bus its processed
  batches also feed the web's live hub directly; with a Kafka bus its parts are OS processes
  and a ``live-feed`` component consumes the enriched topic for the hub instead.
- ``web``: the FastAPI app under uvicorn on ``AEROLAKE_WEB_HOST:AEROLAKE_WEB_PORT``; its admin
  "run batch" button runs the scheduler's ``speed-to-gold`` job (never two at once).
- ``scheduler``: :class:`~aerolake.orchestration.scheduler.Scheduler` with the hourly
  ``speed-to-gold`` job, the 6-hourly ``serving-load`` and, with ``simulate_hours``, a one-off
  ``history`` job at start (simulate that many past hours, ingest, batch, load).

A component that crashes is restarted with exponential backoff (the stream supervisor's rules).
SIGINT/SIGTERM (or ``stop_event``) stops everything: the stream drains, flushes and commits,
uvicorn closes its connections, a running job is given ``drain_timeout_s`` to finish. Every two
seconds ``<data_dir>/up/status.json`` records what runs; ``aerolake status`` reads it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Final

from aerolake.orchestration import jobs
from aerolake.orchestration.scheduler import Job, Scheduler, parse_interval
from aerolake.settings import Settings
from aerolake.stream.supervisor import Backoff, Component, Supervisor, ThreadComponent

log = logging.getLogger(__name__)

STATUS_EVERY_S: Final = 2.0
#: A status file older than this means ``aerolake up`` is no longer running.
STALE_AFTER_S: Final = 30.0


@dataclass(frozen=True)
class UpConfig:
    """What ``aerolake up`` runs; from settings (:meth:`from_settings`) or built by tests."""

    stream: bool = True
    web: bool = True
    scheduler: bool = True
    speed_to_gold_every: dt.timedelta | None = dt.timedelta(hours=1)
    serving_load_every: dt.timedelta | None = dt.timedelta(hours=6)
    simulate_hours: int = 0
    simulate_aircraft: int = 300
    backoff: Backoff = field(default_factory=Backoff)
    drain_timeout_s: float = 30.0
    tick_s: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> UpConfig:
        """``AEROLAKE_SCHEDULE_SPEED_TO_GOLD`` (default 1h), ``AEROLAKE_SCHEDULE_SERVING_LOAD``
        (6h), ``AEROLAKE_UP_SIMULATE_HOURS`` (0), ``AEROLAKE_UP_SIMULATE_AIRCRAFT`` (300);
        keyword ``overrides`` (from the command line) win."""
        values: dict[str, Any] = {
            "speed_to_gold_every": parse_interval(settings.schedule_speed_to_gold),
            "serving_load_every": parse_interval(settings.schedule_serving_load),
            "simulate_hours": settings.up_simulate_hours,
            "simulate_aircraft": settings.up_simulate_aircraft,
        }
        values.update(overrides)
        return cls(**values)


def schedule(settings: Settings, config: UpConfig) -> list[Job]:
    """The scheduler's jobs for ``config`` (each records its own pipeline run)."""
    out = [
        Job(
            "speed-to-gold",
            config.speed_to_gold_every,
            lambda: jobs.speed_to_gold_job(settings, trigger="schedule"),
        ),
        Job(
            "serving-load",
            config.serving_load_every,
            lambda: jobs.load_job(settings, trigger="schedule"),
        ),
    ]
    if config.simulate_hours > 0:
        out.append(Job("history", None, lambda: backfill(settings, config), at_start=True))
    return out


def backfill(settings: Settings, config: UpConfig, now: dt.datetime | None = None) -> None:
    """Simulate the ``simulate_hours`` full UTC hours before ``now``, ingest them and run the
    batch job with the serving load (idempotent: unchanged files are skipped)."""
    from aerolake.orchestration.history import write_history

    end = (now or dt.datetime.now(dt.UTC)).replace(minute=0, second=0, microsecond=0)
    start = end - dt.timedelta(hours=config.simulate_hours)
    out = settings.data_dir / "simulated"
    write_history(
        out,
        settings.region_def,
        start,
        config.simulate_hours,
        aircraft=config.simulate_aircraft,
        seed=settings.seed,
    )
    jobs.ingest_job(settings, [out], trigger="schedule")
    jobs.batch_job(settings, trigger="schedule")


class Up:
    """The supervised components of ``aerolake up``; :meth:`run` blocks until stopped."""

    def __init__(self, settings: Settings, config: UpConfig) -> None:
        from aerolake.web.live import LiveHub

        self.settings = settings
        self.config = config
        self.hub = LiveHub()
        self._status_lock = threading.Lock()
        self.scheduler = Scheduler(schedule(settings, config), on_change=self.write_status)
        self.started_at = dt.datetime.now(dt.UTC)
        self.supervisor = Supervisor(
            self.components(),
            backoff=config.backoff,
            drain_timeout_s=config.drain_timeout_s,
        )

    def components(self) -> list[Component]:
        settings, config = self.settings, self.config
        kafka = settings.bus_url.startswith("kafka:")
        out: list[Component] = []
        if config.stream:
            live = None if kafka or not config.web else self.hub
            out.append(ThreadComponent("stream", _run_stream, settings, live))
        if config.web:
            if kafka:
                out.append(ThreadComponent("live-feed", _run_kafka_feed, settings, self.hub))
            out.append(ThreadComponent("web", _run_web, settings, self.hub, self.batch_runner))
        if config.scheduler:
            out.append(ThreadComponent("scheduler", _run_scheduler, self.scheduler, config))
        if not out:
            raise ValueError("aerolake up: nothing to run (stream, web and scheduler all off)")
        return out

    def batch_runner(self) -> object:
        """The web's admin "run batch": the speed-to-gold job now (unless it is running), waiting
        for it; raises when it fails, so the ops page shows the failure."""
        if not self.scheduler.trigger("speed-to-gold"):
            raise RuntimeError("speed-to-gold is already running")
        state = self.scheduler.states["speed-to-gold"]
        if state.thread is not None:
            state.thread.join()
        if state.status == "failed":
            raise RuntimeError(f"speed-to-gold failed: {state.last_error}")
        return None

    def run(self, stop: threading.Event) -> int:
        """Supervise until ``stop``; returns 0 when every component stopped cleanly."""
        writer = threading.Thread(target=self._status_loop, args=(stop,), daemon=True)
        writer.start()
        try:
            return self.supervisor.run(stop)
        finally:
            self.write_status(stopped=True)

    def status(self, stopped: bool = False) -> dict[str, Any]:
        sup = self.supervisor
        return {
            "pid": os.getpid(),
            "started_at": self.started_at.isoformat(),
            "stopped": stopped,
            "web": f"http://{self.settings.web_host}:{self.settings.web_port}/"
            if self.config.web
            else None,
            "components": {
                c.name: {
                    "alive": c.alive(),
                    "restarts": sup.restarts.get(c.name, 0),
                    "last_exit": sup.last_exit.get(c.name),
                }
                for c in sup.components
            },
            "jobs": self.scheduler.state() if self.config.scheduler else {},
        }

    def write_status(self, stopped: bool = False) -> None:
        with self._status_lock:
            write_status(self.settings.data_dir, self.status(stopped))

    def _status_loop(self, stop: threading.Event) -> None:
        while not stop.wait(STATUS_EVERY_S):
            try:
                self.write_status()
            except OSError:
                log.warning("could not write the up status file", exc_info=True)


def run_up(
    settings: Settings, config: UpConfig | None = None, *, stop_event: threading.Event | None = None
) -> int:
    """Run everything until SIGINT/SIGTERM (in the main thread) or ``stop_event``."""
    stop = stop_event or threading.Event()
    up = Up(settings, config or UpConfig.from_settings(settings))
    restore: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s; stopping everything", signal.Signals(signum).name)
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            restore[sig] = signal.signal(sig, on_signal)
    log.info("aerolake up: %s", ", ".join(c.name for c in up.supervisor.components))
    try:
        return up.run(stop)
    finally:
        for sig, handler in restore.items():
            signal.signal(sig, handler)


# --- component bodies: target(stop, *args), run in threads by ThreadComponent --------------


def _run_stream(stop: threading.Event, settings: Settings, hub: Any | None) -> None:
    from aerolake.orchestration.serve import on_live
    from aerolake.orchestration.stream import run_stream

    code = run_stream(settings, stop_event=stop, on_live=None if hub is None else on_live(hub))
    if code != 0 and not stop.is_set():
        raise RuntimeError(f"the stream stopped with exit code {code}")


def _run_kafka_feed(stop: threading.Event, settings: Settings, hub: Any) -> None:
    from aerolake.orchestration.serve import kafka_feed

    kafka_feed(settings, hub, stop)


def _run_web(
    stop: threading.Event, settings: Settings, hub: Any, batch_runner: Callable[[], object]
) -> None:
    """uvicorn in this thread (it installs no signal handlers off the main thread); ``stop``
    asks it to shut down gracefully."""
    import uvicorn

    from aerolake.web.app import create_app

    config = uvicorn.Config(
        create_app(settings, hub, batch_runner=batch_runner),
        host=settings.web_host,
        port=settings.web_port,
        ws_max_size=64 * 1024,
        ws_per_message_deflate=False,
        ws_ping_interval=20.0,
        log_level="warning",
    )
    server = uvicorn.Server(config)

    def watch() -> None:
        stop.wait()
        server.should_exit = True

    threading.Thread(target=watch, name="web-stop", daemon=True).start()
    server.run()
    if not stop.is_set():
        raise RuntimeError("the web server stopped (is the port in use?)")


def _run_scheduler(stop: threading.Event, scheduler: Scheduler, config: UpConfig) -> None:
    scheduler.run(stop, tick_s=config.tick_s, join_s=config.drain_timeout_s)


# --- the status file ---------------------------------------------------------------------


def status_path(data_dir: Path) -> Path:
    return Path(data_dir) / "up" / "status.json"


def write_status(data_dir: Path, doc: dict[str, Any]) -> None:
    """Replace ``<data_dir>/up/status.json`` atomically (tmp + rename) with ``doc``."""
    path = status_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".status.json.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({**doc, "updated_at": time.time()}, default=str))
    os.replace(tmp, path)


def read_status(data_dir: Path) -> dict[str, Any] | None:
    """The last status written by ``aerolake up``, or None when there is none."""
    try:
        doc: dict[str, Any] = json.loads(status_path(data_dir).read_text())
    except (OSError, ValueError):
        return None
    return doc


def format_status(doc: dict[str, Any] | None, now: float | None = None) -> list[str]:
    """Lines for ``aerolake status`` from :func:`read_status` (pure; ``now``: unix seconds)."""
    if doc is None:
        return ["up: not running (no status file; start it with `aerolake up`)"]
    age = (time.time() if now is None else now) - float(doc.get("updated_at", 0))
    if doc.get("stopped"):
        state = "stopped"
    elif age > STALE_AFTER_S:
        state = f"not running (status {age:.0f} s old: the process died or hangs)"
    else:
        state = "running"
    lines = [f"up: {state}, pid {doc.get('pid')}, since {doc.get('started_at')}"]
    if doc.get("web"):
        lines.append(f"  web at {doc['web']}")
    for name, c in doc.get("components", {}).items():
        alive = "alive" if c.get("alive") else "DOWN"
        exit_ = "" if c.get("last_exit") is None else f", last exit {c['last_exit']}"
        lines.append(f"  {name:<12} {alive:<5} {c.get('restarts', 0)} restarts{exit_}")
    for name, j in doc.get("jobs", {}).items():
        every = f"every {j['every_s']:g} s" if j.get("every_s") else "once"
        error = f" ({j['last_error']})" if j.get("last_error") else ""
        lines.append(
            f"  job {name:<14} {j.get('status')}{error}; {every}, next {j.get('next_due') or '-'}, "
            f"{j.get('runs', 0)} runs, {j.get('failures', 0)} failed, {j.get('skipped', 0)} skipped"
        )
    return lines


def last_runs(target: Any, limit: int = 10) -> list[dict[str, Any]]:
    """The latest pipeline runs, newest first ([] before the first run)."""
    if not target.table_exists("pipeline_runs"):
        return []
    rows = target.query(
        "SELECT run_id, kind, trigger, status, started_at, ended_at, error FROM pipeline_runs "
        "ORDER BY started_at DESC, run_id DESC LIMIT $1",
        [limit],
    ).to_pylist()
    return list(rows)
