"""Live mode: the simulated sky at wall-clock now, as a :class:`~aerolake.sources.base.LiveSource`.

A poll at time ``t`` returns, for every aircraft heard within the last 300 s, its latest report
at or before ``floor(t)`` — the very report the history mode emits for that moment, with the
same noise — and ``time = floor(t)``. Like OpenSky, an aircraft in a reception gap or just
parked keeps its last (ageing) state for up to 300 s; ``time - lastcontact`` shows the age.
"""

from __future__ import annotations

import datetime as dt
import time as _time
from collections.abc import Callable

import numpy as np
import pyarrow as pa

from aerolake.sources.base import SourceCheck
from aerolake.sources.simulator.config import SimulatorConfig
from aerolake.sources.simulator.observation import state_vectors
from aerolake.sources.simulator.reception import LINGER_S, latest_reports, select_reports
from aerolake.sources.simulator.schedule import Schedule


class SimulatorLive:
    """Current states of the simulated fleet. ``clock`` returns unix seconds (inject one in
    tests); ``source_name`` tags the rows (the stream uses ``"simulator-fallback"``)."""

    name: str = "simulator"

    def __init__(
        self,
        config: SimulatorConfig,
        clock: Callable[[], float] = _time.time,
        source_name: str = "simulator",
    ) -> None:
        self.config = config
        self.clock = clock
        self.source_name = source_name
        self._schedule: Schedule | None = None

    @property
    def schedule(self) -> Schedule:
        if self._schedule is None:  # built on first use: the fleet takes a moment
            self._schedule = Schedule(self.config)
        return self._schedule

    def poll(self) -> pa.RecordBatch:
        """One snapshot at ``floor(clock())``, one row per aircraft heard in the last 300 s."""
        now = int(np.floor(self.clock()))
        schedule = self.schedule
        legs = schedule.legs_between(now - 1, now + 1, linger_s=LINGER_S)
        reports = latest_reports(schedule.fleet, legs, self.config.gap_rate, now)
        reports = select_reports(reports, np.argsort(legs.aircraft[reports.leg], kind="stable"))
        return state_vectors(
            schedule.fleet,
            legs,
            reports,
            time=np.full(len(reports.leg), now, dtype=np.int64),
            source=self.source_name,
            batch_id=f"{self.source_name}-{self.config.seed}-{now}",
            ingested_at=dt.datetime.fromtimestamp(now, dt.UTC),
        )

    def check(self) -> SourceCheck:
        """Probe: poll once and show a sample. Never raises."""
        try:
            batch = self.poll()
        except Exception as exc:  # a probe reports failures instead of raising
            return SourceCheck(self.name, False, "n/a", None, 0, message=f"simulator failed: {exc}")
        sample = (
            batch.slice(0, 5)
            .select(["time", "icao24", "callsign", "lat", "lon", "baroaltitude"])
            .to_pylist()
        )
        return SourceCheck(
            self.name,
            True,
            "n/a",
            None,
            batch.num_rows,
            sample,
            message=(
                f"{batch.num_rows:,} aircraft heard over {self.config.region.name} "
                f"(fleet {self.config.aircraft:,}, seed {self.config.seed})"
            ),
        )
