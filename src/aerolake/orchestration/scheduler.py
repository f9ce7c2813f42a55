"""A small embedded scheduler for the periodic batch jobs of ``aerolake up``.

Each :class:`Job` runs every ``every`` (a fixed interval), aligned to multiples of the interval
since the Unix epoch in UTC (an hourly job is due on the hour, a 6-hourly one at 00, 06, 12 and
18 UTC), optionally once at start. Rules:

- No overlap: a job runs in its own thread; while it runs, its due ticks are skipped (logged),
  never queued. Different jobs may run at the same time (each job is idempotent and the lake
  commits per partition).
- A failure is logged with its traceback; the job records its own run as failed in
  ``pipeline_runs``. It is not retried at once: the next tick runs it again.
- :meth:`Scheduler.trigger` runs a job now (e.g. the web's admin button), unless it is running.
- The clock is injectable, and :meth:`Scheduler.tick` can be driven by hand in tests.

Times are timezone-aware UTC datetimes. Nothing here knows what the jobs do.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from aerolake.errors import ConfigError

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
JobStatus = Literal["never", "running", "succeeded", "failed"]
EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_interval(text: str) -> dt.timedelta | None:
    """``"90s"``, ``"30m"``, ``"1h"``, ``"6h"``, ``"1d"`` (or a bare number of seconds) -> the
    interval; ``"off"``, ``"never"`` or ``"0"`` -> None (the job is disabled)."""
    value = text.strip().lower()
    if value in ("off", "never", "none", "0", ""):
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhd]?)", value)
    if match is None:
        raise ConfigError(
            f"expected a schedule interval like 30m, 1h, 6h or 1d (or 'off'), got {text!r}"
        )
    seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds < 1:
        raise ConfigError(f"a schedule interval must be at least 1 s, got {text!r}")
    return dt.timedelta(seconds=seconds)


def next_due(now: dt.datetime, every: dt.timedelta) -> dt.datetime:
    """The first multiple of ``every`` since the epoch strictly after ``now`` (UTC)."""
    step = every.total_seconds()
    elapsed = (now - EPOCH).total_seconds()
    return EPOCH + dt.timedelta(seconds=(elapsed // step + 1) * step)


@dataclass(frozen=True)
class Job:
    """``fn()`` every ``every``; ``at_start``: also once as soon as the scheduler starts."""

    name: str
    every: dt.timedelta | None
    fn: Callable[[], object]
    at_start: bool = False


@dataclass
class JobState:
    """What the scheduler knows of one job (all times UTC)."""

    name: str
    every_s: float | None
    next_due: dt.datetime | None
    status: JobStatus = "never"
    runs: int = 0
    failures: int = 0
    skipped: int = 0
    last_started: dt.datetime | None = None
    last_ended: dt.datetime | None = None
    last_error: str | None = None
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def doc(self) -> dict[str, Any]:
        """JSON-ready view for the status file."""
        return {
            "every_s": self.every_s,
            "next_due": _iso(self.next_due),
            "status": self.status,
            "running": self.running,
            "runs": self.runs,
            "failures": self.failures,
            "skipped": self.skipped,
            "last_started": _iso(self.last_started),
            "last_ended": _iso(self.last_ended),
            "last_error": self.last_error,
        }


class Scheduler:
    """Runs :class:`Job` s on their intervals. ``threaded=False`` runs each job inline in
    :meth:`tick` (tests); ``on_change`` is called after a job starts or ends."""

    def __init__(
        self,
        jobs: list[Job],
        *,
        clock: Clock = utc_now,
        threaded: bool = True,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        names = [j.name for j in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must be unique, got {names}")
        self.jobs = {j.name: j for j in jobs}
        self.clock = clock
        self.threaded = threaded
        self.on_change = on_change
        self._lock = threading.Lock()
        now = clock()
        self.states = {
            j.name: JobState(
                j.name,
                None if j.every is None else j.every.total_seconds(),
                now if j.at_start else (None if j.every is None else next_due(now, j.every)),
            )
            for j in jobs
        }

    def tick(self, now: dt.datetime | None = None) -> list[str]:
        """Start every job that is due at ``now`` (default: the clock); returns their names.
        A due job that is still running is skipped and its next tick scheduled."""
        now = now or self.clock()
        started = []
        for name, job in self.jobs.items():
            state = self.states[name]
            if state.next_due is None or now < state.next_due:
                continue
            state.next_due = None if job.every is None else next_due(now, job.every)
            if state.running:
                state.skipped += 1
                log.warning("%s is still running; skipping the run due at %s", name, now)
                continue
            self._start(job, state, now)
            started.append(name)
        return started

    def trigger(self, name: str) -> bool:
        """Run ``name`` now; False if it is running already. Its schedule is unchanged."""
        state = self.states[name]
        with self._lock:
            if state.running:
                return False
            self._start(self.jobs[name], state, self.clock())
        return True

    def run(self, stop: threading.Event, tick_s: float = 1.0, join_s: float = 0.0) -> None:
        """Tick every ``tick_s`` seconds until ``stop``; then wait up to ``join_s`` for jobs
        still running (they are not interrupted: a job is a transaction of its own)."""
        log.info(
            "scheduler: %s",
            ", ".join(
                f"{n} every {_human(s.every_s)}" if s.every_s else f"{n} once"
                for n, s in self.states.items()
            ),
        )
        while not stop.is_set():
            with self._lock:
                self.tick()
            stop.wait(tick_s)
        for state in self.states.values():
            if state.thread is not None and state.running:
                log.info("waiting up to %.0f s for %s to finish", join_s, state.name)
                state.thread.join(join_s)

    def state(self) -> dict[str, Any]:
        """Every job's state, JSON-ready."""
        return {name: s.doc() for name, s in self.states.items()}

    def _start(self, job: Job, state: JobState, now: dt.datetime) -> None:
        state.status, state.last_started, state.last_ended = "running", now, None
        state.runs += 1
        if self.threaded:
            state.thread = threading.Thread(
                target=self._run_job, args=(job, state), name=f"job-{job.name}", daemon=True
            )
            state.thread.start()
        else:
            self._run_job(job, state)
        self._changed()

    def _run_job(self, job: Job, state: JobState) -> None:
        log.info("%s: starting", job.name)
        try:
            job.fn()
        except Exception as exc:
            state.status, state.last_error = "failed", f"{type(exc).__name__}: {exc}"
            state.failures += 1
            log.exception("%s failed; it runs again at its next tick", job.name)
        else:
            state.status, state.last_error = "succeeded", None
            log.info("%s: succeeded", job.name)
        finally:
            state.last_ended = self.clock()
            self._changed()

    def _changed(self) -> None:
        if self.on_change is None:
            return
        try:
            self.on_change()
        except Exception:
            log.warning("scheduler: on_change failed", exc_info=True)


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _human(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
