"""The DuckDB kernel path of segmentation gives the flights of the SQL model (the reference).

Both paths run on the same input through :func:`segment` (``kernel=True`` / ``kernel=False``):
random tracks built to hit every rule (gaps, ground stops, on-ground flicker, callsign changes
with blanks and padding, missing altitudes, stale rows, emergency squawks, shuffled rows), and a
simulated day. Rows must be identical, floats equal within 1e-9 relative (sums of floats depend
on the order of addition; the model rounds them to 1e-6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from aerolake.analytics import open_engine
from aerolake.analytics.engine import Engine
from aerolake.analytics.segment import Segmentation, SegmentationRules, segment
from aerolake.refdata.enrich import enrich
from aerolake.refdata.regions import PRESETS
from aerolake.schema import SILVER_SCHEMA
from aerolake.sources.simulator import SimulatorConfig, simulate_history_hours
from aerolake.validate import validate

T0 = int(dt.datetime(2024, 3, 4, tzinfo=dt.UTC).timestamp())
AIRPORTS = [(28.5665, 77.1031), (19.0887, 72.8679), (15.0, 65.0)]  # VIDP, VABB, open sea
RTOL = 1e-9


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    eng = open_engine("duckdb", threads=2)
    yield eng
    eng.close()


def random_tracks(seed: int, aircraft: int = 40, points: int = 400) -> pa.Table:
    """Silver rows of ``aircraft`` aircraft, shuffled, with every rule's trigger present."""
    rng = np.random.default_rng(seed)
    n = aircraft * points
    ac = np.repeat(np.arange(aircraft), points)
    step = rng.choice(
        [5, 10, 30, 200, 400, 650, 3000], n, p=[0.3, 0.3, 0.2, 0.08, 0.06, 0.04, 0.02]
    )
    time = T0 + np.cumsum(step) - np.repeat(np.cumsum(step)[::points], points) + ac * 7
    # On-ground runs: a Markov chain that flips rarely, plus single-point flickers.
    flips = rng.random(n) < 0.03
    onground = (np.cumsum(flips) % 2 == 1) ^ (rng.random(n) < 0.01)
    onground_col = pa.array(onground, mask=rng.random(n) < 0.01)
    calls = np.array(["AIC101", "AIC202", " AIC101 ", "", "IGO5", None], dtype=object)
    callsign = calls[np.cumsum(rng.random(n) < 0.02) % len(calls)]
    callsign[rng.random(n) < 0.05] = None
    home = rng.integers(0, len(AIRPORTS), aircraft)[ac]
    lat = np.array([a[0] for a in AIRPORTS])[home] + np.cumsum(rng.normal(0, 0.005, n))
    lon = np.array([a[1] for a in AIRPORTS])[home] + np.cumsum(rng.normal(0, 0.005, n))
    baro = np.where(onground, 200.0, rng.uniform(0, 12_000, n))
    squawks = np.array(["2000", "7700", "7500", "7600", "1234", None], dtype=object)
    texts = np.array(["A", "B", None], dtype=object)
    table = pa.table(
        {
            "time": pa.array(time, pa.int64()),
            "icao24": pa.array([f"80{i:04x}" for i in ac]),
            "lat": lat,
            "lon": lon,
            "velocity": pa.array(rng.uniform(0, 250, n), mask=rng.random(n) < 0.05),
            "heading": pa.array(rng.uniform(0, 360, n), mask=rng.random(n) < 0.05),
            "vertrate": pa.array(rng.uniform(-15, 15, n), mask=rng.random(n) < 0.05),
            "callsign": pa.array(callsign, pa.string()),
            "onground": onground_col,
            "alert": pa.array(rng.random(n) < 0.01, mask=rng.random(n) < 0.1),
            "spi": pa.array(rng.random(n) < 0.01),
            "squawk": pa.array(squawks[rng.integers(0, len(squawks), n)], pa.string()),
            "baroaltitude": pa.array(baro, mask=rng.random(n) < 0.1),
            "geoaltitude": pa.array(baro + 30, mask=rng.random(n) < 0.1),
            "lastposupdate": time.astype(float),
            "lastcontact": time.astype(float),
            "origin_country": pa.array(texts[rng.integers(0, 3, n)], pa.string()),
            "source": ["simulator"] * n,
            "ingested_at": pa.array(np.full(n, T0 * 1_000_000), pa.timestamp("us", tz="UTC")),
            "batch_id": ["test"] * n,
            "stale": rng.random(n) < 0.02,
            "airline_icao": pa.array(texts[rng.integers(0, 3, n)], pa.string()),
            "airline_name": pa.array(texts[rng.integers(0, 3, n)], pa.string()),
            "registration_country": pa.array(texts[rng.integers(0, 3, n)], pa.string()),
            "registration": pa.array(texts[rng.integers(0, 3, n)], pa.string()),
            "typecode": pa.array(texts[rng.integers(0, 3, n)], pa.string()),
        }
    )
    return table.cast(SILVER_SCHEMA).take(pa.array(rng.permutation(n)))


def assert_same(sql: Segmentation, kernel: Segmentation) -> None:
    assert (sql.fragments, sql.ground_only, sql.ground_only_points) == (
        kernel.fragments,
        kernel.ground_only,
        kernel.ground_only_points,
    )
    a, b = sql.flights, kernel.flights
    assert a.schema == b.schema
    assert a.num_rows == b.num_rows
    for name in a.column_names:
        x, y = a.column(name), b.column(name)
        if pa.types.is_floating(x.type):
            assert pc.is_null(x).equals(pc.is_null(y)), name
            xs = x.to_numpy(zero_copy_only=False)
            ys = y.to_numpy(zero_copy_only=False)
            assert np.allclose(xs, ys, rtol=RTOL, atol=0.0, equal_nan=True), name
        else:
            assert x.equals(y), name


def both(engine: Engine, silver: pa.Table, **kw: object) -> tuple[Segmentation, Segmentation]:
    sql = segment(engine, silver, kernel=False, **kw)  # type: ignore[arg-type]
    kernel = segment(engine, silver, kernel=True, **kw)  # type: ignore[arg-type]
    return sql, kernel


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_tracks_give_the_sql_flights(engine: Engine, seed: int) -> None:
    sql, kernel = both(engine, random_tracks(seed))
    assert sql.flights.num_rows > 50 and sql.fragments > 0 and sql.ground_only > 0
    assert_same(sql, kernel)


def test_rules_window_and_parts_are_honoured(engine: Engine) -> None:
    silver = random_tracks(4)
    rules = SegmentationRules(gap_s=300, ground_stop_s=120, min_points=3)
    window = (
        dt.datetime.fromtimestamp(T0 + 3600, dt.UTC),
        dt.datetime.fromtimestamp(T0 + 6 * 3600, dt.UTC),
    )
    sql, kernel = both(engine, silver, rules=rules, window=window, parts=3)
    assert sql.flights.num_rows > 0
    assert_same(sql, kernel)


def test_parquet_paths_and_empty_input(engine: Engine, tmp_path: object) -> None:
    import pyarrow.parquet as pq

    silver = random_tracks(5, aircraft=10)
    paths = []
    for i, part in enumerate((silver.slice(0, 1500), silver.slice(1500))):
        path = f"{tmp_path}/part-{i}.parquet"
        pq.write_table(part.sort_by([("icao24", "ascending"), ("time", "ascending")]), path)
        paths.append(path)
    assert_same(*both(engine, paths))  # type: ignore[arg-type]
    sql, kernel = both(engine, SILVER_SCHEMA.empty_table())
    assert kernel.flights.num_rows == 0
    assert_same(sql, kernel)


def test_simulated_day_gives_the_sql_flights(engine: Engine) -> None:
    start = dt.datetime(2024, 5, 5, tzinfo=dt.UTC)
    config = SimulatorConfig(PRESETS["india"], aircraft=25, seed=5)
    hours = [
        enrich(validate(raw, now=start + dt.timedelta(days=2)).valid, None)
        for _, raw in simulate_history_hours(config, start, 24)
    ]
    sql, kernel = both(engine, pa.concat_tables(hours))
    assert sql.flights.num_rows > 25
    assert_same(sql, kernel)
