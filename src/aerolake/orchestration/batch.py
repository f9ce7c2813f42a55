"""The batch job: bronze -> silver -> gold (merge) -> gold flights, one recorded task per step.

The steps (:func:`silver_step`, :func:`merge_step`, :func:`flights_step`) are what the CLI, the
embedded scheduler and the Airflow DAGs run (through :mod:`aerolake.orchestration.jobs`); each
records its figures as a task of the given pipeline run, or runs unrecorded with ``run=None``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aerolake.batch.flights import FlightsSummary, build_flights
from aerolake.batch.merge import MergeSummary, merge_gold
from aerolake.batch.silver import RegionFilter, SilverSummary, build_silver
from aerolake.lake import BRONZE_STATES, Lake, Partition
from aerolake.refdata.aircraft_db import load_aircraft_db
from aerolake.settings import Settings

if TYPE_CHECKING:
    from aerolake.serving.runs import Run, TaskRecord


@dataclass
class StepTiming:
    name: str
    seconds: float
    rows_in: int = 0
    rows_out: int = 0


@dataclass
class BatchSummary:
    steps: list[StepTiming] = field(default_factory=list)
    silver: SilverSummary | None = None
    merge: MergeSummary | None = None
    flights: int = 0
    flight_dates: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)

    @property
    def nothing_to_do(self) -> bool:
        s, m = self.silver, self.merge
        return bool(
            s is not None
            and m is not None
            and s.partitions_built == 0
            and m.changed == []
            and self.flight_dates == 0
        )


Progress = Callable[[str, int, int], None]  # (step, done, total)


def run_batch(
    settings: Settings,
    lake: Lake,
    *,
    full: bool = False,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    airlines_anywhere: bool = False,
    progress: Progress | None = None,
    run: Run | None = None,
) -> BatchSummary:
    """Run silver, the gold merge and flight segmentation on what changed (all with ``full``).

    ``date_from``/``date_to`` (inclusive, UTC) limit which bronze hours are (re)built.
    Idempotent: a second run on unchanged input writes nothing. With ``run``, each step is
    recorded as a task of that pipeline run (rows, quarantine by reason, lake layer sizes).
    """
    summary = BatchSummary()
    started = time.perf_counter()
    silver = silver_step(
        settings,
        lake,
        run,
        full=full,
        partitions=bronze_hours(lake, date_from, date_to),
        airlines_anywhere=airlines_anywhere,
        progress=progress,
    )
    summary.silver, summary.quarantined = silver, silver.quarantined
    summary.steps.append(
        StepTiming("silver", time.perf_counter() - started, silver.rows_in, silver.rows_out)
    )
    started = time.perf_counter()
    summary.merge = merge = merge_step(lake, run, full=full)
    summary.steps.append(
        StepTiming("gold merge", time.perf_counter() - started, merge.rows, merge.rows)
    )
    started = time.perf_counter()
    flights = flights_step(settings, lake, run, full=full, merge=merge)
    summary.flights, summary.flight_dates = flights.flights, flights.dates_built
    summary.steps.append(
        StepTiming("gold flights", time.perf_counter() - started, flights.points, flights.flights)
    )
    return summary


def bronze_hours(
    lake: Lake, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> list[Partition]:
    """Bronze (date, hour) partitions within the inclusive UTC date range."""
    return [
        p for p in lake.partitions(BRONZE_STATES) if _in_range(str(p["date"]), date_from, date_to)
    ]


def silver_step(
    settings: Settings,
    lake: Lake,
    run: Run | None,
    *,
    full: bool = False,
    partitions: list[Partition] | None = None,
    airlines_anywhere: bool = False,
    progress: Progress | None = None,
) -> SilverSummary:
    """Rebuild the silver hours whose bronze changed, as task ``silver``."""
    selected = bronze_hours(lake) if partitions is None else partitions
    done = 0

    def tick(_: object) -> None:
        nonlocal done
        done += 1
        if progress:
            progress("silver", done, len(selected))

    with _task(run, "silver") as task:
        silver = build_silver(
            lake,
            RegionFilter(settings.region_def, airlines_anywhere),
            aircraft=load_aircraft_db(settings.data_dir),
            partitions=selected,
            full=full,
            on_partition=tick,
        )
        if task is not None:
            task.rows_in, task.rows_out = silver.rows_in, silver.rows_out
            task.rows_quarantined = sum(silver.quarantined.values())
            task.quarantine.update(silver.quarantined)
            task.metrics.update(
                hours_built=silver.partitions_built,
                hours_unchanged=silver.partitions_unchanged,
                out_of_region=silver.out_of_region,
            )
            _layer_stats(task, lake, "silver")
    return silver


def merge_step(lake: Lake, run: Run | None, *, full: bool = False) -> MergeSummary:
    """The gold merge (batch over speed, hour by hour), as task ``gold_merge``."""
    with _task(run, "gold_merge") as task:
        merge = merge_gold(lake, full=full)
        if task is not None:
            task.rows_in = task.rows_out = merge.rows
            task.metrics.update(
                batch_hours=merge.batch_hours,
                speed_hours=merge.speed_hours,
                unchanged_hours=merge.unchanged_hours,
                removed_hours=merge.removed_hours,
            )
            _layer_stats(task, lake, "gold/state_vectors")
    return merge


def flights_step(
    settings: Settings,
    lake: Lake,
    run: Run | None,
    *,
    full: bool = False,
    merge: MergeSummary | None = None,
) -> FlightsSummary:
    """Flight segmentation of the dates whose gold changed, as task ``gold_flights``."""
    with _task(run, "gold_flights") as task:
        flights = build_flights(
            lake,
            changed_hours=None if merge is None else merge.changed,
            full=full,
            engine_name=settings.engine,
            settings=settings,
        )
        if task is not None:
            task.rows_in, task.rows_out = flights.points, flights.flights
            task.metrics.update(
                dates_built=flights.dates_built,
                fragments=flights.fragments,
                ground_only_segments=flights.ground_only,
            )
            _layer_stats(task, lake, "gold/flights")
    return flights


@contextmanager
def _task(run: Run | None, name: str) -> Iterator[TaskRecord | None]:
    if run is None:
        yield None
        return
    with run.task(name) as task:
        yield task


def layer_stats(task: TaskRecord, lake: Lake, layer: str) -> None:
    """Record the committed files and bytes of a lake layer on a task."""
    files, size = lake.stats(layer)
    task.add_layer_stats(layer, files=files, bytes=size)


_layer_stats = layer_stats


def _in_range(day: str, date_from: dt.date | None, date_to: dt.date | None) -> bool:
    d = dt.date.fromisoformat(day)
    return (date_from is None or d >= date_from) and (date_to is None or d <= date_to)
