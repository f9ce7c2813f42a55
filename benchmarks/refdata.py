"""Benchmark the reference-data lookups the pipeline runs on every row.

- nearest airport (k-d tree, 10 km radius) for ``--points`` random points in the India box,
  against a naive baseline measured in the same run: haversine to every airport and argmin,
  on ``--baseline-points`` points (chunked to bound memory);
- ``airline_for_callsign`` and ``registration_country`` on ``--rows`` rows, each against a
  plain Python loop (dict / linear block scan) on a 100k-row prefix.

Prints rows per second and the speed-up ratios. No assertions on time.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pyarrow as pa

from aerolake.refdata.airlines import airline_for_callsign, load_airlines
from aerolake.refdata.airports import load_airports
from aerolake.refdata.countries import load_blocks, registration_country
from aerolake.refdata.geo import haversine_km
from aerolake.refdata.regions import PRESETS

T = TypeVar("T")


def timed(fn: Callable[[], T], repeat: int = 3) -> tuple[T, float]:
    """Result of the fastest of ``repeat`` runs and its duration in seconds."""
    best = float("inf")
    result: T | None = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return result, best


def naive_nearest(
    lat: np.ndarray, lon: np.ndarray, alat: np.ndarray, alon: np.ndarray
) -> np.ndarray:
    out = np.empty(len(lat), dtype=np.int64)
    for s in range(0, len(lat), 256):
        d = haversine_km(
            lat[s : s + 256, None], lon[s : s + 256, None], alat[None, :], alon[None, :]
        )
        best = d.argmin(axis=1)
        out[s : s + 256] = np.where(d[np.arange(len(best)), best] <= 10.0, best, -1)
    return out


def bench_airports(points: int, baseline_points: int, rng: np.random.Generator) -> None:
    started = time.perf_counter()
    index = load_airports()
    print(f"load_airports: {len(index):,} airports in {time.perf_counter() - started:.2f} s")
    box = PRESETS["india"].bbox
    lat = rng.uniform(box.lamin, box.lamax, points)
    lon = rng.uniform(box.lomin, box.lomax, points)
    (found, _), secs = timed(lambda: index.nearest(lat, lon, max_km=10.0))
    rate = points / secs
    print(
        f"nearest airport (k-d tree): {points:,} points in {secs:.3f} s = {rate:,.0f} lookups/s "
        f"({(found >= 0).mean():.1%} within 10 km)"
    )
    n = min(baseline_points, points)
    naive, bsecs = timed(lambda: naive_nearest(lat[:n], lon[:n], index.lat, index.lon), repeat=1)
    brate = n / bsecs
    agree = (naive == found[:n]).mean()
    print(
        f"baseline naive haversine argmin: {n:,} points in {bsecs:.3f} s = {brate:,.0f} lookups/s"
        f" (agreement {agree:.2%})"
    )
    print(f"ratio nearest/baseline: {rate / brate:,.0f}x")


def bench_airlines(rows: int, rng: np.random.Generator) -> None:
    designators = np.array(sorted(load_airlines()))
    numbers = rng.integers(1, 9999, rows).astype(str)
    calls = np.char.ljust(
        np.char.add(designators[rng.integers(0, len(designators), rows)], numbers), 8
    )
    registrations = np.char.ljust(np.char.add("VT", rng.choice(list("ABCDEFGHIJ"), rows)), 8)
    mix = np.where(rng.random(rows) < 0.8, calls, registrations)
    arr = pa.array(mix.tolist(), pa.string())
    out, secs = timed(lambda: airline_for_callsign(arr))
    rate = rows / secs
    print(
        f"airline_for_callsign: {rows:,} rows in {secs:.3f} s = {rate:,.0f} rows/s "
        f"({1 - out.null_count / rows:.1%} mapped)"
    )
    known = set(load_airlines())
    prefix = mix[:100_000].tolist()

    def loop() -> list[str | None]:
        res: list[str | None] = []
        for c in prefix:
            s = c.strip().upper()
            res.append(s[:3] if s[:3] in known and s[3:4].isdigit() else None)
        return res

    _, bsecs = timed(loop, repeat=1)
    brate = len(prefix) / bsecs
    print(f"baseline python loop: {brate:,.0f} rows/s; ratio {rate / brate:,.1f}x")


def bench_countries(rows: int, rng: np.random.Generator) -> None:
    values = rng.integers(0, 1 << 24, rows)
    arr = pa.array(np.char.mod("%06x", values).tolist(), pa.string())
    out, secs = timed(lambda: registration_country(arr))
    rate = rows / secs
    print(
        f"registration_country: {rows:,} rows in {secs:.3f} s = {rate:,.0f} rows/s "
        f"({1 - out.null_count / rows:.1%} allocated)"
    )
    blocks = load_blocks()
    prefix = arr.slice(0, 100_000).to_pylist()

    def loop() -> list[str | None]:
        res: list[str | None] = []
        for h in prefix:
            v = int(h, 16)
            res.append(next((b.country for b in blocks if b.start <= v <= b.end), None))
        return res

    _, bsecs = timed(loop, repeat=1)
    brate = len(prefix) / bsecs
    print(f"baseline python loop: {brate:,.0f} rows/s; ratio {rate / brate:,.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=1_000_000, help="nearest-airport lookups")
    parser.add_argument("--baseline-points", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=1_000_000, help="callsign / icao24 rows")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    bench_airports(args.points, args.baseline_points, rng)
    bench_airlines(args.rows, rng)
    bench_countries(args.rows, rng)


if __name__ == "__main__":
    main()
