"""The batch job: bronze -> silver -> gold (merge) -> gold flights, with a summary per step."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from aerolake.batch.merge import MergeSummary, merge_gold
from aerolake.batch.silver import RegionFilter, SilverSummary, build_silver
from aerolake.lake import Lake
from aerolake.refdata.aircraft_db import load_aircraft_db
from aerolake.settings import Settings


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
) -> BatchSummary:
    """Run silver, the gold merge and flight segmentation on what changed (all with ``full``).

    ``date_from``/``date_to`` (inclusive, UTC) limit which bronze hours are (re)built.
    Idempotent: a second run on unchanged input writes nothing.
    """
    from aerolake.batch.flights import build_flights

    summary = BatchSummary()
    bronze = lake.partitions("bronze/state_vectors")
    selected = [p for p in bronze if _in_range(str(p["date"]), date_from, date_to)]

    started = time.perf_counter()
    done = 0

    def tick_silver(_: object) -> None:
        nonlocal done
        done += 1
        if progress:
            progress("silver", done, len(selected))

    summary.silver = build_silver(
        lake,
        RegionFilter(settings.region_def, airlines_anywhere),
        aircraft=load_aircraft_db(settings.data_dir),
        partitions=selected,
        full=full,
        on_partition=tick_silver,
    )
    summary.quarantined = summary.silver.quarantined
    summary.steps.append(
        StepTiming(
            "silver", time.perf_counter() - started, summary.silver.rows_in, summary.silver.rows_out
        )
    )

    started = time.perf_counter()
    summary.merge = merge_gold(lake, full=full)
    summary.steps.append(
        StepTiming(
            "gold merge", time.perf_counter() - started, summary.merge.rows, summary.merge.rows
        )
    )

    started = time.perf_counter()
    flights = build_flights(
        lake,
        changed_hours=summary.merge.changed,
        full=full,
        engine_name=settings.engine,
        settings=settings,
    )
    summary.flights = flights.flights
    summary.flight_dates = flights.dates_built
    summary.steps.append(
        StepTiming("gold flights", time.perf_counter() - started, flights.points, flights.flights)
    )
    return summary


def _in_range(day: str, date_from: dt.date | None, date_to: dt.date | None) -> bool:
    d = dt.date.fromisoformat(day)
    return (date_from is None or d >= date_from) and (date_to is None or d <= date_to)
