"""Flight segmentation: silver state vectors -> ``gold/flights`` (one row per flight).

The work is done by the SQL model ``sql/flight_segments.sql`` on any
:class:`~aerolake.analytics.engine.Engine`; this module only sets its parameters, registers the
inputs and splits the result into flights and counts of what is not a flight.

Rules and their defaults (:class:`SegmentationRules`):

- **gap** ``gap_s = 600``: a new flight after more than 10 minutes without a point (the default
  of the ``traffic`` library).
- **ground stop** ``ground_stop_s = 300``: on-ground points between two airborne points at least
  5 minutes apart split the flight. Within one flight an aircraft is on the ground between
  airborne points only for touch-and-goes, go-arounds or a flickering on-ground flag (well under
  two minutes), while landing, taxi-in, turnaround and taxi-out take 15 minutes or more. The cut
  is at the middle of the stop (earlier ground points end the arriving flight, later ones start
  the departing one), or at the callsign change when one happens during the stop.
- **callsign**: a new flight when the callsign changes from one non-empty value to another,
  unless a gap or ground stop already separates them; points without a callsign stay with the
  flight around them.
- **fragments** (fewer than ``min_points = 2`` points) and **ground-only** segments (no airborne
  point: parked or taxiing aircraft) are not flights; :class:`Segmentation` counts them.
- **airports**: the origin is the nearest airport within ``airport_radius_km = 10`` of the
  take-off point; when the track starts airborne, of the first point, provided it is less than
  ``low_agl_m = 762`` (2,500 ft) above that airport. Otherwise ``origin_reason`` says why:
  ``entered_airborne`` or ``no_airport_within_10km``. Destinations likewise (``left_airborne``).
- **stale** rows (OpenSky repeating an old position) are ignored.

Engines: Spark (and any engine) runs the whole model. On DuckDB the part that needs each
point's neighbours (the cuts and the ``track`` CTE) runs as a numpy kernel over 8 columns
(:mod:`~aerolake.analytics.segment_kernel`) instead of the SQL's window passes, and DuckDB runs
the rest of the model on its result (:mod:`~aerolake.analytics.segment_run`);
``tests/test_segment_kernel.py`` keeps the two paths identical.

Incremental runs: a flight is owned by the window holding its first point. With ``window`` set,
points in ``[from - overlap_s, to + overlap_s)`` are segmented and only flights whose first point
lies in ``[from, to)`` are returned, identical to those of a full run as long as ``overlap_s``
(24 h) exceeds the longest flight plus one gap. Replace the window's flights with the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Final, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from aerolake.analytics.duckdb_engine import DuckDBEngine
from aerolake.analytics.engine import Engine
from aerolake.analytics.flights_schema import FLIGHT_SCHEMA
from aerolake.analytics.segment_run import run_kernel
from aerolake.errors import ConfigError
from aerolake.refdata.airports import load_airports
from aerolake.schema import SILVER_SCHEMA

DataSource = Literal["batch", "speed"]

#: Points considered when no window is given: every valid time (unix s).
_ALL_TIME: Final[tuple[int, int]] = (0, 2**62)
#: The last hex digit of icao24 splits the aircraft into up to 16 near-equal parts.
_HEX_DIGITS: Final[str] = "0123456789abcdef"
#: Cells of 0.1 degree latitude (11.1 km): the neighbourhood covers one cell either side.
MAX_AIRPORT_RADIUS_KM: Final[float] = 11.0


@dataclass(frozen=True)
class SegmentationRules:
    """The configurable rules; times in seconds, distances in km, altitudes in metres."""

    gap_s: int = 600
    ground_stop_s: int = 300
    min_points: int = 2
    airport_radius_km: float = 10.0
    low_agl_m: float = 762.0
    cruise_min_m: float = 5000.0
    level_vertrate_ms: float = 2.5
    overlap_s: int = 86_400

    def __post_init__(self) -> None:
        if self.gap_s <= 0 or self.ground_stop_s <= 0 or self.overlap_s < 0:
            raise ConfigError(
                "segmentation gap_s and ground_stop_s must be > 0 and overlap_s >= 0, got "
                f"{self.gap_s}, {self.ground_stop_s}, {self.overlap_s}"
            )
        if self.min_points < 1:
            raise ConfigError(f"segmentation min_points must be >= 1, got {self.min_points}")
        if not 0 < self.airport_radius_km <= MAX_AIRPORT_RADIUS_KM:
            raise ConfigError(
                f"airport_radius_km must be in (0, {MAX_AIRPORT_RADIUS_KM}], "
                f"got {self.airport_radius_km}"
            )


@dataclass(frozen=True)
class Segmentation:
    """Flights (``FLIGHT_SCHEMA``) and the segments that did not make a flight."""

    flights: pa.Table
    fragments: int  # segments with fewer than min_points points
    ground_only: int  # segments without an airborne point
    ground_only_points: int


def model_params(
    rules: SegmentationRules,
    window: tuple[datetime, datetime] | None = None,
    data_source: DataSource = "batch",
    icao24_last_digits: str = _HEX_DIGITS,
) -> dict[str, object]:
    """The parameters of ``flight_segments.sql`` for these rules and window (pure)."""
    if window is None:
        points, owned = _ALL_TIME, _ALL_TIME
    else:
        start, end = window
        if start.tzinfo is None or end.tzinfo is None or not start < end:
            raise ValueError(
                f"window must be two timezone-aware datetimes, from < to; got {window}"
            )
        owned = (int(start.timestamp()), int(end.timestamp()))
        points = (owned[0] - rules.overlap_s, owned[1] + rules.overlap_s)
    if data_source not in ("batch", "speed"):
        raise ValueError(f"data_source must be 'batch' or 'speed', got {data_source!r}")
    return {
        "gap_s": rules.gap_s,
        "ground_stop_s": rules.ground_stop_s,
        "min_points": rules.min_points,
        "airport_radius_km": float(rules.airport_radius_km),
        "low_agl_m": float(rules.low_agl_m),
        "cruise_min_m": float(rules.cruise_min_m),
        "level_vertrate_ms": float(rules.level_vertrate_ms),
        "points_from": points[0],
        "points_to": points[1],
        "window_from": owned[0],
        "window_to": owned[1],
        "data_source": data_source,
        "icao24_last_digits": icao24_last_digits,
    }


def segment(
    engine: Engine,
    silver: pa.Table | ds.Dataset | Sequence[str],
    *,
    rules: SegmentationRules = SegmentationRules(),
    window: tuple[datetime, datetime] | None = None,
    data_source: DataSource = "batch",
    parts: int = 1,
    kernel: bool = True,
) -> Segmentation:
    """Cut ``silver`` (an Arrow table, a pyarrow dataset or Parquet paths) into flights.

    On Spark (or with ``kernel=False``) the whole SQL model runs on ``engine``, which gets the
    views ``silver`` and ``airports`` (replacing earlier ones); on DuckDB the kernel path runs
    (module docstring) on the engine, which keeps no views of it. ``parts`` (1-16) runs once
    per group of aircraft (by the last hex digit of icao24), each reading the input again, which
    bounds memory: the kernel path peaks at about 0.17 GB per million rows of a part.
    Deterministic: the same input in any row order, in any number of parts, gives the same
    table, sorted by (icao24, first_seen).
    """
    if not 1 <= parts <= len(_HEX_DIGITS):
        raise ValueError(f"parts must be between 1 and {len(_HEX_DIGITS)}, got {parts}")
    if not isinstance(silver, pa.Table | ds.Dataset) and not list(silver):
        silver = SILVER_SCHEMA.empty_table()
    run: Callable[[dict[str, object]], pa.Table]
    if kernel and isinstance(engine, DuckDBEngine):
        run = partial(run_kernel, engine, silver)
    else:
        engine.register("silver", silver)
        engine.register("airports", load_airports().table())
        run = partial(engine.run, "flight_segments")
    segments = pa.concat_tables(
        run(model_params(rules, window, data_source, _HEX_DIGITS[i::parts])) for i in range(parts)
    )
    if parts > 1:
        segments = segments.sort_by([("icao24", "ascending"), ("first_seen", "ascending")])
    kind = segments.column("segment_kind")
    ground = pc.equal(kind, "ground_only")
    flights = segments.filter(pc.equal(kind, "flight")).drop_columns(["segment_kind"])
    return Segmentation(
        flights=conform(flights),
        fragments=int(pc.sum(pc.equal(kind, "fragment")).as_py() or 0),
        ground_only=int(pc.sum(ground).as_py() or 0),
        ground_only_points=int(pc.sum(segments.column("points").filter(ground)).as_py() or 0),
    )


def segment_flights(
    engine: Engine,
    silver: pa.Table | ds.Dataset | Sequence[str],
    *,
    rules: SegmentationRules = SegmentationRules(),
    window: tuple[datetime, datetime] | None = None,
    data_source: DataSource = "batch",
    parts: int = 1,
) -> pa.Table:
    """The flights of ``silver`` in ``FLIGHT_SCHEMA`` (see :func:`segment`)."""
    result = segment(
        engine, silver, rules=rules, window=window, data_source=data_source, parts=parts
    )
    return result.flights


def conform(table: pa.Table) -> pa.Table:
    """``table`` with ``FLIGHT_SCHEMA``'s nullability; TypeError if a name or type differs.

    The SQL casts every column, so a difference here is a bug in a model, not in the data.
    """
    got = [(f.name, f.type) for f in table.schema]
    want = [(f.name, f.type) for f in FLIGHT_SCHEMA]
    if got != want:
        diff = [f"{g} != {w}" for g, w in zip(got, want, strict=False) if g != w]
        raise TypeError(f"flight model output does not match FLIGHT_SCHEMA: {diff or got}")
    return table.cast(FLIGHT_SCHEMA)
