"""The DuckDB path's segmentation kernel: the model's cutting rules and ``track`` in numpy.

Computes the model's CTEs ``cut_hours`` (its cutting rules, CTEs ``pts`` to ``cut_hours``) and
``track`` (everything that needs a point's predecessor, and the extremes of the columns read
anyway) of ``sql/flight_segments.sql`` from one sort of the few columns that need neighbours, instead of the model's window passes and range
joins; the model's own SQL then does the rest, from ``stats`` on
(:mod:`~aerolake.analytics.segment_run`). The SQL model stays the reference:
``tests/test_segment_kernel.py`` checks that both give the same flights.
Pure: Arrow in, Arrow out. Times unix seconds, distances km, altitudes m."""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aerolake.analytics.kernel_ops import (
    F64,
    I64,
    TIME_BITS,
    Bools,
    Segments,
    bools,
    codes,
    decode,
    floats,
    nan_to_null,
    take_or_null,
)
from aerolake.analytics.segment_cuts import cut_keys

#: Silver columns the kernel reads: those whose neighbours the cutting rules and track need.
COLUMNS: Final[tuple[str, ...]] = (
    "icao24",
    "time",
    "lat",
    "lon",
    "callsign",
    "onground",
    "baroaltitude",
    "geoaltitude",
)
_EARTH_KM: Final[float] = 6371.0088


def track_segments(
    points: pa.Table,
    *,
    gap_s: int,
    ground_stop_s: int,
    threads: int | None = None,
) -> tuple[pa.Table, pa.Table]:
    """The model's ``track`` and ``cut_hours`` over ``points`` (the window's points, stale rows
    already dropped, (icao24, time) unique; not empty).

    ``track`` has one row per segment: ``icao24``, ``cut_time`` and the columns of the model's
    ``track`` CTE; ``cut_hours`` one row per segment and unix hour its points touch:
    ``icao24``, ``cut_time``, ``cut_end`` and ``hour``. The model's CTE of that name runs each
    interval to the next cut; here ``cut_end`` is one past the segment's last point, which
    selects the same points (none lie between) with fewer candidate rows per point in the
    model's join. Rows in no particular order. Runs on ``threads`` threads (default: one per
    core), each over a range of aircraft."""
    if points.num_rows == 0:
        raise ValueError("track_segments needs points; the empty case is the model's to answer")
    workers = threads or os.cpu_count() or 1
    with ThreadPoolExecutor(workers) as pool:
        track_columns = _Neighbours.submit(pool, points)
        icao, icao_dict = codes(points.column("icao24"))
        time = np.asarray(points.column("time").to_numpy(), dtype=np.int64)
        base = int(time.min())
        key = (icao << TIME_BITS) | (time - base)
        del icao, time
        # Files are sorted by (icao24, time), so a stable sort only merges their sorted runs.
        order = np.argsort(key, kind="stable")
        key = key[order]
        bounds = _aircraft_bounds(key >> TIME_BITS, 16 * workers)
        track = _Track(track_columns.result(), icao_dict, base, gap_s, ground_stop_s)
        parts = list(pool.map(lambda b: track.run(key, order, b[0], b[1]), pairwise(bounds)))
    return (
        pa.concat_tables(t for t, _ in parts),
        pa.concat_tables(h for _, h in parts),
    )


@dataclass(frozen=True)
class _Neighbours:
    """The columns that need a point's neighbours, as numpy in row order."""

    onground: Bools
    callsign: I64
    callsign_dict: pa.Array
    lat: F64
    lon: F64
    baro: F64
    geo: F64

    @staticmethod
    def submit(pool: ThreadPoolExecutor, points: pa.Table) -> Future[_Neighbours]:
        """Convert the columns on ``pool``'s threads (about 0.4 CPU-s per 10M rows, so split)."""
        callsign = pool.submit(codes, points.column("callsign"), _clean_callsign)
        onground = pool.submit(bools, points.column("onground"))
        lat, lon, baro, geo = (
            pool.submit(floats, points.column(name))
            for name in ("lat", "lon", "baroaltitude", "geoaltitude")
        )

        def gather() -> _Neighbours:
            codes_, dictionary = callsign.result()
            return _Neighbours(
                onground.result(),
                codes_,
                dictionary,
                lat.result(),
                lon.result(),
                baro.result(),
                geo.result(),
            )

        return pool.submit(gather)


def _clean_callsign(texts: pa.Array) -> pa.Array:
    """``NULLIF(TRIM(callsign), '')``: spaces only, as SQL's TRIM."""
    trimmed = pc.utf8_trim(texts, " ")
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _aircraft_bounds(aircraft: I64, parts: int) -> list[int]:
    """Up to ``parts`` + 1 increasing row offsets into sorted ``aircraft``, on aircraft changes."""
    n = len(aircraft)
    cuts = {0, n}
    for i in range(1, parts):
        cuts.add(int(np.searchsorted(aircraft, aircraft[n * i // parts], side="left")))
    return sorted(cuts)


@dataclass(frozen=True)
class _Track:
    """The track part of the kernel over the whole input; :meth:`run` does one row range."""

    columns: _Neighbours
    icao_dict: pa.Array
    base: int
    gap_s: int
    ground_stop_s: int

    def run(self, key: I64, order: I64, start: int, end: int) -> tuple[pa.Table, pa.Table]:
        """``track`` and ``cut_hours`` of the segments of sorted rows [start, end) (whole
        aircraft)."""
        rows = order[start:end]
        key = key[start:end]
        ac, t = key >> TIME_BITS, key & ((1 << TIME_BITS) - 1)
        cols = self.columns
        onground = cols.onground[rows]
        callsign = cols.callsign[rows]
        cut_key = cut_keys(ac, t, onground, callsign, self.gap_s, self.ground_stop_s)
        labels = np.searchsorted(cut_key, key, side="right") - 1
        seg = Segments.from_labels(labels)
        cut_time = (cut_key[labels[seg.starts]] & ((1 << TIME_BITS) - 1)) + self.base
        icao24 = decode(ac[seg.starts], self.icao_dict)
        lat, lon, baro, geo = cols.lat[rows], cols.lon[rows], cols.baro[rows], cols.geo[rows]
        table = {"icao24": icao24, "cut_time": pa.array(cut_time)}
        table |= _track(
            seg,
            t,
            self.base,
            onground,
            callsign,
            cols.callsign_dict,
            lat,
            lon,
            np.where(np.isnan(baro), geo, baro),  # COALESCE(baroaltitude, geoaltitude)
        )
        table |= _extremes(seg, {"baroaltitude": baro, "geoaltitude": geo, "lat": lat, "lon": lon})
        first_s, last_s = table["first_s"].to_numpy(), table["last_s"].to_numpy()
        return pa.table(table), _cut_hours(icao24, cut_time, first_s, last_s)


def _cut_hours(icao24: pa.Array, cut_time: I64, first_s: I64, last_s: I64) -> pa.Table:
    """One row per segment and unix hour of [first_s, last_s], with ``cut_end`` = last_s + 1."""
    first, last = first_s // 3600, last_s // 3600
    count = last - first + 1
    segment = np.repeat(np.arange(len(count)), count)
    offset = np.arange(len(segment)) - np.repeat(np.cumsum(count) - count, count)
    return pa.table(
        {
            "icao24": icao24.take(pa.array(segment)),
            "cut_time": pa.array(cut_time[segment]),
            "cut_end": pa.array(last_s[segment] + 1),
            "hour": pa.array(first[segment] + offset),
        }
    )


def _track(
    seg: Segments,
    t: I64,
    base: int,
    onground: Bools,
    callsign: I64,
    callsign_dict: pa.Array,
    lat: F64,
    lon: F64,
    altitude: F64,
) -> dict[str, pa.Array]:
    """The model's ``track`` columns: shape of the track and sums over its intervals.

    The interval ending at row i belongs to the segment unless i starts it; it is described by
    row i - 1 (computed on slices, then zeroed at the segment starts)."""
    first, last = seg.starts, seg.ends - 1
    n = len(t)
    step = np.zeros(n, dtype=np.int64)
    np.subtract(t[1:], t[:-1], out=step[1:])
    step[first] = 0
    prev_onground = np.zeros(n, dtype=np.bool_)
    prev_onground[1:] = onground[:-1]
    ground_step = np.where(prev_onground, step, 0)
    air_step = step - ground_step
    takeoff_row = prev_onground & ~onground
    takeoff_row[first] = False
    landing_row = ~prev_onground & onground
    landing_row[first] = False
    takeoff = seg.first_valid(takeoff_row)
    landing = seg.last_valid(landing_row)
    has_altitude = ~np.isnan(altitude)
    with np.errstate(invalid="ignore"):
        bands = [altitude < 3000, (altitude >= 3000) & (altitude <= 9000), altitude > 9000]
    band_s = []
    for band in bands:  # by the altitude of the interval's first point
        prev_band = np.zeros(n, dtype=np.bool_)
        prev_band[1:] = band[:-1]
        band_s.append(pa.array(seg.sum(np.where(prev_band, air_step, 0))))
    path = np.zeros(n, dtype=np.float64)
    path[1:] = _haversine_steps(lat, lon)
    path[first] = 0.0
    return {
        "points": pa.array(seg.ends - seg.starts),
        "first_s": pa.array(t[first] + base),
        "last_s": pa.array(t[last] + base),
        "airborne_points": pa.array(seg.count(~onground)),
        "first_onground": pa.array(onground[first]),
        "last_onground": pa.array(onground[last]),
        "first_lat": nan_to_null(lat[first]),
        "first_lon": nan_to_null(lon[first]),
        "first_altitude": take_or_null(altitude, seg.first_valid(has_altitude)),
        "last_lat": nan_to_null(lat[last]),
        "last_lon": nan_to_null(lon[last]),
        "last_altitude": take_or_null(altitude, seg.last_valid(has_altitude)),
        "callsign": decode(
            np.where((i := seg.last_valid(callsign >= 0)) >= 0, callsign[i], -1), callsign_dict
        ),
        "takeoff_s": take_or_null(t + base, takeoff),
        "takeoff_lat": take_or_null(lat, takeoff),
        "takeoff_lon": take_or_null(lon, takeoff),
        "landing_s": take_or_null(t + base, landing),
        "landing_lat": take_or_null(lat, landing),
        "landing_lon": take_or_null(lon, landing),
        "onground_s": pa.array(seg.sum(ground_step)),
        "airborne_s": pa.array(seg.sum(air_step)),
        "below_3km_s": band_s[0],
        "between_3_9km_s": band_s[1],
        "above_9km_s": band_s[2],
        "path_distance_km": pa.array(seg.sum(path)),
    }


def _extremes(seg: Segments, columns: dict[str, F64]) -> dict[str, pa.Array]:
    """The model's ``track`` minima, maxima and means (altitudes only): SQL MIN / MAX / AVG,
    which skip nulls (NaN here) and give NULL over none."""
    out: dict[str, pa.Array] = {}
    for name, values in columns.items():
        out[f"{name}_min"] = nan_to_null(np.fmin.reduceat(values, seg.starts))
        out[f"{name}_max"] = nan_to_null(np.fmax.reduceat(values, seg.starts))
        if name.endswith("altitude"):
            valid = ~np.isnan(values)
            total = np.add.reduceat(np.where(valid, values, 0.0), seg.starts)
            count = seg.count(valid)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[f"{name}_avg"] = nan_to_null(np.where(count > 0, total / count, np.nan))
    return out


def _haversine_steps(lat: F64, lon: F64) -> F64:
    """Great-circle km from each point to the next (n - 1 values), the model's formula.

    In place, pass by pass: a range's arrays stay in cache (half the time of the expression)."""
    cos_lat = np.cos(np.radians(lat))
    a = np.subtract(lat[1:], lat[:-1])
    b = np.subtract(lon[1:], lon[:-1])
    for half in (a, b):  # SIN(RADIANS(delta) / 2) ^ 2
        np.radians(half, out=half)
        half *= 0.5
        np.sin(half, out=half)
        np.square(half, out=half)
    b *= cos_lat[:-1]
    b *= cos_lat[1:]
    a += b
    np.sqrt(a, out=a)
    np.minimum(a, 1.0, out=a)
    np.arcsin(a, out=a)
    a *= 2 * _EARTH_KM
    return a
