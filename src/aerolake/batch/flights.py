"""Gold flights: segment gold state vectors into flights, one ``gold/flights/date=`` per UTC day.

A flight belongs to the UTC date of its first point. Date D's flights depend on the gold hours of
D and of the neighbouring days (a flight may start late on D-1 and run into D, or start on D and
land on D+1), so each date records the signature of the gold partitions of D-1, D and D+1 and is
rebuilt when that changes. Contiguous dates to rebuild are segmented together, with a 24-hour
overlap either side (:class:`~aerolake.analytics.segment.SegmentationRules.overlap_s`), and their
partitions replaced. Flights with any point from the speed layer get ``data_source = 'speed'``
(provisional until a batch load of those hours supersedes them); others ``'batch'``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aerolake.analytics.engine import open_engine
from aerolake.analytics.flights_schema import FLIGHT_SCHEMA
from aerolake.analytics.segment import SegmentationRules, segment
from aerolake.batch.lineage import Lineage, signature
from aerolake.lake import GOLD_FLIGHTS, GOLD_STATES, Lake, Partition
from aerolake.schema import GOLD_STATE_SCHEMA
from aerolake.settings import Settings

ONE_DAY = dt.timedelta(days=1)
#: Rows per segmentation part: bounds memory (see ``segment(parts=...)``). The DuckDB path
#: peaked at 4.3 GB for 50M rows in two parts (stop 10), about 0.17 GB per million rows.
ROWS_PER_PART = 25_000_000


@dataclass
class FlightsSummary:
    dates_built: int = 0
    dates_unchanged: int = 0
    flights: int = 0
    points: int = 0
    fragments: int = 0
    ground_only: int = 0
    built: list[dt.date] = field(default_factory=list)


def build_flights(
    lake: Lake,
    *,
    settings: Settings,
    full: bool = False,
    rules: SegmentationRules = SegmentationRules(),
    changed_hours: list[Partition] | None = None,
    engine_name: str | None = None,
) -> FlightsSummary:
    """Re-segment the dates whose gold input changed (all with ``full``). Idempotent.

    ``changed_hours`` is informational (the merge's report); what to rebuild is decided by the
    per-date signatures, so a crash between steps never leaves a date stale.
    """
    del changed_hours
    summary = FlightsSummary()
    lineage = Lineage(lake, "flights")
    manifests = {
        (_day(p), int(p["hour"])): lake.manifest(GOLD_STATES, p)
        for p in lake.partitions(GOLD_STATES)
    }
    gold_days = sorted({d for d, _ in manifests})
    flight_days = sorted(_day(p) for p in lake.partitions(GOLD_FLIGHTS))
    candidates = sorted(set(gold_days) | set(flight_days))
    todo: list[dt.date] = []
    sigs: dict[str, str | None] = {}
    for day in candidates:
        around = [manifests[k] for k in sorted(manifests) if day - ONE_DAY <= k[0] <= day + ONE_DAY]
        sig = signature(around, f"{rules}") if day in gold_days else None
        if full or lineage.get(day.isoformat()) != sig:
            todo.append(day)
            sigs[day.isoformat()] = sig
        else:
            summary.dates_unchanged += 1
    if not todo:
        return summary
    name = engine_name or settings.engine
    engine = open_engine(name, **settings.engine_options(name))
    try:
        for first, last in _ranges(todo):
            _build_range(lake, engine, first, last, rules, summary)
    finally:
        engine.close()
    lineage.update(sigs)
    return summary


def _build_range(
    lake: Lake,
    engine: object,
    first: dt.date,
    last: dt.date,
    rules: SegmentationRules,
    summary: FlightsSummary,
) -> None:
    read_from, read_to = first - ONE_DAY, last + ONE_DAY
    parts = [p for p in lake.partitions(GOLD_STATES) if read_from <= _day(p) <= read_to]
    rows = sum(m.rows for m in lake.manifests(GOLD_STATES, parts))
    # Local paths, or a lazy dataset on S3: the engine streams it, never all in memory.
    source = lake.engine_source(GOLD_STATES, parts, GOLD_STATE_SCHEMA)
    window = (_midnight(first), _midnight(last + ONE_DAY))
    result = segment(
        engine,  # type: ignore[arg-type]
        source,
        rules=rules,
        window=window,
        parts=max(1, min(16, -(-rows // ROWS_PER_PART))),
    )
    flights = _mark_speed_flights(lake, result.flights, parts)
    summary.points += rows
    summary.fragments += result.fragments
    summary.ground_only += result.ground_only
    days = pc.cast(pc.cast(flights.column("first_seen"), pa.timestamp("s", tz="UTC")), pa.date32())
    day = first
    while day <= last:
        mine = flights.filter(pc.equal(days, pa.scalar(day, pa.date32())))
        partition = {"date": day.isoformat()}
        if mine.num_rows:
            lake.replace_partition(GOLD_FLIGHTS, partition, mine, "flights", FLIGHT_SCHEMA)
        elif lake.manifest(GOLD_FLIGHTS, partition) is not None:
            lake.delete_partition(GOLD_FLIGHTS, partition)
        summary.flights += mine.num_rows
        summary.dates_built += 1
        summary.built.append(day)
        day += ONE_DAY


def _mark_speed_flights(lake: Lake, flights: pa.Table, parts: list[Partition]) -> pa.Table:
    """``data_source = 'speed'`` for flights overlapping an hour that gold took from speed."""
    speed_hours: set[int] = set()
    for p in parts:
        manifest = lake.manifest(GOLD_STATES, p)
        if manifest is not None and any(f.key == "gold-speed" for f in manifest.files):
            speed_hours.add(int(_midnight(_day(p)).timestamp()) // 3600 + int(p["hour"]))
    if not speed_hours or flights.num_rows == 0:
        return flights
    first = pc.cast(flights.column("first_seen"), pa.int64()).to_numpy() // 3_600_000_000
    last = pc.cast(flights.column("last_seen"), pa.int64()).to_numpy() // 3_600_000_000
    hours = np.array(sorted(speed_hours), dtype=np.int64)
    # A flight touches a speed hour iff some speed hour lies in [first, last].
    touched = np.searchsorted(hours, last, side="right") > np.searchsorted(
        hours, first, side="left"
    )
    source = pc.if_else(pa.array(touched), "speed", flights.column("data_source"))
    index = flights.schema.get_field_index("data_source")
    return flights.set_column(index, FLIGHT_SCHEMA.field("data_source"), source)


def _ranges(days: list[dt.date]) -> Iterator[tuple[dt.date, dt.date]]:
    start = prev = days[0]
    for day in days[1:]:
        if day != prev + ONE_DAY:
            yield start, prev
            start = day
        prev = day
    yield start, prev


def _day(partition: Partition) -> dt.date:
    return dt.date.fromisoformat(str(partition["date"]))


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
