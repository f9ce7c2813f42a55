"""Flight segmentation in plain Polars: the baseline for the SQL models, and a synthetic silver.

``polars_segment(silver)`` applies the same rules as ``analytics/sql/flight_points.sql`` (gap,
ground-stop midpoint, callsign change within a segment) and returns one row per segment with a
few aggregates: enough work to be a fair baseline for the segmentation itself, without the
airport join. ``synthetic_silver(rows)`` builds sorted silver rows of aircraft shuttling between
Indian airports (10 s cadence, ground turnarounds, missing callsigns, coverage gaps).

Run directly to compare the DuckDB models with the baseline on the same generated Parquet file:
``python benchmarks/segment_baseline.py --rows 10000000``.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from aerolake.refdata.airports import airports_in
from aerolake.refdata.regions import parse_region
from aerolake.schema import SILVER_SCHEMA

T0 = int(datetime(2024, 3, 4, tzinfo=UTC).timestamp())


def synthetic_silver(
    rows: int, seed: int = 7, points_per_aircraft: int = 2000, first_aircraft: int = 0
) -> pa.Table:
    """``rows`` silver state vectors sorted by (icao24, time), in ``SILVER_SCHEMA``.

    Each aircraft cycles ground turnaround (20-35 min) -> flight (50 min-2 h) between two real
    airports; positions on the ground sit on the airport, in flight they move linearly between
    them. About 0.05 % of intervals are 15-minute coverage gaps; callsigns are missing for the
    first three points of each flight and for 0.2 % of the others.
    """
    rng = np.random.default_rng(seed)
    ports = airports_in(parse_region("india").bbox)[:80]
    plat = np.array([a.lat for a in ports])
    plon = np.array([a.lon for a in ports])
    pelev = np.array([a.elevation_m for a in ports])
    n_ac = max(1, rows // points_per_aircraft)
    per = np.full(n_ac, rows // n_ac)
    per[: rows - int(per.sum())] += 1
    ac = np.repeat(np.arange(n_ac), per)
    starts = np.concatenate([[0], np.cumsum(per)[:-1]])
    i = np.arange(rows) - starts[ac]

    step = np.where(rng.random(rows) < 0.0005, 900, 10)
    step[starts] = 0
    offsets = rng.integers(0, 3600, n_ac)
    times = np.cumsum(step) - np.cumsum(step)[starts][ac] + T0 + offsets[ac]

    ground_len = rng.integers(120, 210, n_ac)[ac]
    cycle_len = ground_len + rng.integers(300, 720, n_ac)[ac]
    phase0 = rng.integers(0, 700, n_ac)[ac]
    k = (i + phase0) // cycle_len
    phase = (i + phase0) % cycle_len
    onground = phase < ground_len
    frac = np.clip((phase - ground_len) / (cycle_len - ground_len), 0.0, 1.0)
    base = rng.integers(0, len(ports), n_ac)[ac]
    dep = (base + k * 7) % len(ports)
    arr = (base + (k + 1) * 7) % len(ports)
    lat = plat[dep] + (plat[arr] - plat[dep]) * frac
    lon = plon[dep] + (plon[arr] - plon[dep]) * frac
    air_pts = cycle_len - ground_len
    up = np.minimum(phase - ground_len, cycle_len - phase) * 60.0
    alt = np.where(onground, pelev[dep], np.minimum(up, 11000.0) + pelev[dep])
    vrate = np.where(onground | (alt >= 11000.0), 0.0, np.where(frac < 0.5, 6.0, -6.0))
    heading = np.degrees(np.arctan2(plon[arr] - plon[dep], plat[arr] - plat[dep])) % 360.0
    velocity = np.where(onground, 8.0, 230.0) + rng.normal(0, 2, rows)
    del air_pts, up

    # Strings are built once per distinct value and gathered with ``take``: 10M Python strings
    # would dominate the run time.
    names = pa.array([f"IGO{n}" for n in range(100, 9100)])
    callsign = names.take(pa.array(k % 9000))
    missing = (phase < 3) | (rng.random(rows) < 0.002)
    callsign = pc.if_else(pa.array(missing), pa.nulls(rows, pa.string()), callsign)
    icao = pa.array([f"{0x800000 + first_aircraft + a:06x}" for a in range(n_ac)])
    icao = icao.take(pa.array(ac))
    squawk = pa.array(["2000", "7700"]).take(pa.array((rng.random(rows) < 1e-5).astype(np.int8)))

    def const(value: object, type_: pa.DataType) -> pa.Array:
        return pa.repeat(pa.scalar(value, type_), rows)

    data = {
        "time": times,
        "icao24": icao,
        "lat": lat,
        "lon": lon,
        "velocity": velocity,
        "heading": heading,
        "vertrate": vrate,
        "callsign": callsign,
        "onground": onground,
        "alert": np.zeros(rows, dtype=bool),
        "spi": np.zeros(rows, dtype=bool),
        "squawk": squawk,
        "baroaltitude": alt,
        "geoaltitude": alt + 30.0,
        "lastposupdate": times - 0.5,
        "lastcontact": times - 0.2,
        "origin_country": const("India", pa.string()),
        "source": const("simulator", pa.string()),
        "ingested_at": const(T0 * 1_000_000, pa.timestamp("us", tz="UTC")),
        "batch_id": const("bench", pa.string()),
        "stale": np.zeros(rows, dtype=bool),
        "airline_icao": const("IGO", pa.string()),
        "airline_name": const("IndiGo", pa.string()),
        "registration_country": const("India", pa.string()),
        "registration": const(None, pa.string()),
        "typecode": const("A20N", pa.string()),
    }
    arrays = [
        v if isinstance(v, pa.Array) else pa.array(v, type=f.type)
        for f, v in ((f, data[f.name]) for f in SILVER_SCHEMA)
    ]
    return pa.Table.from_arrays(arrays, schema=SILVER_SCHEMA)


def _haversine_km(lat1: pl.Expr, lon1: pl.Expr, lat2: pl.Expr, lon2: pl.Expr) -> pl.Expr:
    p1, p2 = lat1.radians(), lat2.radians()
    a = ((p2 - p1) / 2).sin().pow(2) + p1.cos() * p2.cos() * (
        (lon2 - lon1).radians() / 2
    ).sin().pow(2)
    return 2 * 6371.0088 * a.clip(0.0, 1.0).sqrt().arcsin()


def polars_segment(
    silver: pl.DataFrame, gap_s: int = 600, ground_stop_s: int = 300
) -> pl.DataFrame:
    """One row per segment: the gap, ground-stop and callsign rules in plain Polars.

    Same rules as the SQL model except that a callsign change during a ground stop does not move
    the cut from the stop's middle, and no airports are looked up.
    """
    air = pl.when(~pl.col("onground")).then(pl.col("time"))
    df = (
        silver.lazy()
        .filter(~pl.col("stale"))
        .select(
            "icao24",
            "time",
            "lat",
            "lon",
            "callsign",
            "velocity",
            "heading",
            "baroaltitude",
            pl.col("onground").fill_null(False),
        )
        .sort("icao24", "time")
        .with_columns(prev_time=pl.col("time").shift(1).over("icao24"))
        .with_columns(
            gap=pl.col("prev_time").is_null() | (pl.col("time") - pl.col("prev_time") > gap_s)
        )
        .with_columns(gap_seg=pl.col("gap").cum_sum())
        .with_columns(
            prev_air=air.shift(1).forward_fill().over("gap_seg"),
            next_air=air.shift(-1).backward_fill().over("gap_seg"),
        )
        .with_columns(mid=(pl.col("prev_air") + pl.col("next_air")) / 2)
        .with_columns(
            stop=pl.col("onground")
            & (pl.col("next_air") - pl.col("prev_air") >= ground_stop_s)
            & (pl.col("time") >= pl.col("mid"))
            & (pl.col("prev_time") < pl.col("mid"))
        )
        .with_columns(hard_seg=(pl.col("gap") | pl.col("stop")).cum_sum())
        .with_columns(prev_cs=pl.col("callsign").shift(1).forward_fill().over("hard_seg"))
        .with_columns(
            cut=pl.col("gap")
            | pl.col("stop")
            | (
                pl.col("callsign").is_not_null()
                & (pl.col("callsign") != pl.col("prev_cs")).fill_null(False)
            )
        )
        .with_columns(flight=pl.col("cut").cum_sum())
        .with_columns(
            same=pl.col("flight") == pl.col("flight").shift(1),
            prev_og=pl.col("onground").shift(1),
            step_km=_haversine_km(
                pl.col("lat").shift(1), pl.col("lon").shift(1), pl.col("lat"), pl.col("lon")
            ),
        )
        .with_columns(dt=pl.when("same").then(pl.col("time") - pl.col("prev_time")).otherwise(0))
        .group_by("flight")
        .agg(
            pl.col("icao24").first(),
            pl.col("time").min().alias("first_seen"),
            pl.col("time").max().alias("last_seen"),
            pl.len().alias("points"),
            pl.col("callsign").drop_nulls().last(),
            pl.when("same").then("step_km").sum().alias("path_distance_km"),
            pl.when(pl.col("prev_og")).then("dt").sum().alias("onground_s"),
            pl.when(~pl.col("prev_og")).then("dt").sum().alias("airborne_s"),
            pl.when(pl.col("same") & pl.col("prev_og") & ~pl.col("onground"))
            .then("time")
            .min()
            .alias("takeoff"),
            pl.when(pl.col("same") & ~pl.col("prev_og") & pl.col("onground"))
            .then("time")
            .max()
            .alias("landing"),
            pl.col("baroaltitude").max().alias("baroaltitude_max"),
            pl.col("velocity").mean().alias("velocity_avg"),
            pl.col("velocity").std().alias("velocity_stddev"),
            pl.col("heading").radians().sin().mean().alias("heading_sin"),
            pl.col("heading").radians().cos().mean().alias("heading_cos"),
            (~pl.col("onground")).sum().alias("airborne_points"),
        )
        .with_columns(
            track_mean=pl.arctan2("heading_sin", "heading_cos").degrees().mod(360.0),
        )
    )
    return df.collect()


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--parquet", help="an existing sorted silver Parquet file to use instead")
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB memory limit")
    args = parser.parse_args()

    from aerolake.analytics import open_engine, segment

    with tempfile.TemporaryDirectory() as tmp:
        path = args.parquet
        if path is None:
            path = str(Path(tmp) / "silver.parquet")
            started = time.perf_counter()
            pq.write_table(synthetic_silver(args.rows), path, row_group_size=1_000_000)
            print(f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s")
        rows = pq.ParquetFile(path).metadata.num_rows

        engine = open_engine("duckdb", memory_limit=args.memory_limit)
        started = time.perf_counter()
        result = segment(engine, [path])
        sql_s = time.perf_counter() - started
        engine.close()
        print(
            f"duckdb SQL models: {sql_s:.2f} s, {rows / sql_s / 1e6:.2f} M rows/s, "
            f"{result.flights.num_rows:,} flights, {result.fragments} fragments, "
            f"{result.ground_only} ground-only; peak RSS so far {_peak_rss_gb():.2f} GB"
        )

        started = time.perf_counter()
        baseline = polars_segment(pl.read_parquet(path))
        pl_s = time.perf_counter() - started
        flights = baseline.filter((pl.col("points") >= 2) & (pl.col("airborne_points") > 0))
        print(
            f"polars baseline:   {pl_s:.2f} s, {rows / pl_s / 1e6:.2f} M rows/s, "
            f"{flights.height:,} flights (no airport lookup); peak RSS {_peak_rss_gb():.2f} GB"
        )
        print(f"ratio duckdb/polars time: {sql_s / pl_s:.2f} (cores: {os.cpu_count()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
