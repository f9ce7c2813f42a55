"""Parity: DuckDB and Spark build identical gold/flights and serving tables from one lake.

A simulated history (4 hours across a UTC midnight, 40 aircraft) is validated, enriched and
written to a temporary lake as gold state vectors. Both engines segment it from the lake's
Parquet files; then both run the serving models over the same gold flights and states. Rows
must be identical, floats equal within 1e-9 relative (sums of floats depend on the order of
addition, and the models round them to 1e-6: a half-way value may round either way).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from aerolake.analytics import open_engine
from aerolake.analytics.engine import Engine
from aerolake.analytics.flights_schema import FLIGHT_SCHEMA
from aerolake.analytics.segment import segment_flights
from aerolake.analytics.spark_engine import SparkEngine
from aerolake.lake import GOLD_FLIGHTS, GOLD_STATES, Lake
from aerolake.orchestration.load import model_params
from aerolake.refdata.airports import load_airports
from aerolake.refdata.enrich import enrich
from aerolake.refdata.regions import PRESETS
from aerolake.schema import GOLD_STATE_SCHEMA
from aerolake.settings import Settings
from aerolake.sources.simulator import SimulatorConfig, simulate_history_hours
from aerolake.validate import validate

pytestmark = [pytest.mark.spark, pytest.mark.slow]

START = dt.datetime(2024, 5, 5, 22, tzinfo=dt.UTC)
RTOL = 1e-9

#: Serving models, their sort keys, and the models whose output they read as a view.
SERVING = {
    "fact_flight_history": ["flight_id"],
    "dim_airspace_heatmap": ["date", "hour_utc", "cell_lat", "cell_lon"],
    "dim_aircraft_utilization": ["icao24", "date"],
    "dim_route_analytics": ["origin_icao", "destination_icao"],
    "raw_telemetry": ["flight_id", "time"],
    "dim_airspace_hourly_profile": ["hour_utc", "cell_lat", "cell_lon"],
}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    """Gold state vectors of a simulated history, one partition per UTC hour."""
    lake = Lake.open(str(tmp_path_factory.mktemp("parity") / "lake"))
    config = SimulatorConfig(PRESETS["india"], aircraft=40, seed=11)
    for hour, raw in simulate_history_hours(config, START, 4):
        silver = enrich(validate(raw, now=START + dt.timedelta(days=1)).valid, None)
        gold = silver.append_column(
            pa.field("data_source", pa.string(), nullable=False),
            pa.repeat(pa.scalar("batch"), silver.num_rows),
        )
        partition = {"date": hour.date().isoformat(), "hour": hour.hour}
        lake.replace_partition(GOLD_STATES, partition, gold, "sim", GOLD_STATE_SCHEMA)
    return lake


@pytest.fixture(scope="module")
def engines(spark_session: Any) -> Iterator[tuple[Engine, Engine]]:
    duck = open_engine("duckdb", threads=2)
    spark = SparkEngine(session=spark_session)
    yield duck, spark
    duck.close()
    spark.close()


@pytest.fixture(scope="module")
def flights(lake: Lake, engines: tuple[Engine, Engine]) -> tuple[pa.Table, pa.Table]:
    duck, spark = engines
    states = lake.uris(GOLD_STATES)
    return segment_flights(duck, states), segment_flights(spark, states)


def test_gold_flights_are_identical(flights: tuple[pa.Table, pa.Table]) -> None:
    want, got = flights
    assert want.num_rows >= 20  # enough flights for the comparison to mean something
    assert got.schema == want.schema == FLIGHT_SCHEMA
    assert_same_rows(want, got, ["flight_id"])
    assert got.column("flight_id").to_pylist() == want.column("flight_id").to_pylist()


def test_serving_tables_are_identical(
    lake: Lake, engines: tuple[Engine, Engine], flights: tuple[pa.Table, pa.Table]
) -> None:
    want_flights, _ = flights
    days = pc.cast(
        pc.cast(want_flights.column("first_seen"), pa.timestamp("s", tz="UTC")), pa.date32()
    )
    for day in sorted(set(days.to_pylist())):
        mine = want_flights.filter(pc.equal(days, pa.scalar(day, pa.date32())))
        lake.replace_partition(GOLD_FLIGHTS, {"date": day.isoformat()}, mine, "f", FLIGHT_SCHEMA)
    params = model_params(Settings(raw_telemetry_cap=20_000))  # a sample smaller than the data
    for engine in engines:
        engine.register("airports", load_airports().table())
        engine.register("flights", lake.uris(GOLD_FLIGHTS))
        engine.register("states", lake.uris(GOLD_STATES))
    duck, spark = engines
    results: dict[str, pa.Table] = {}
    for name, keys in SERVING.items():
        if name == "dim_airspace_hourly_profile":  # both read DuckDB's heatmap, as loaded
            duck.register("airspace_heatmap", results["dim_airspace_heatmap"])
            spark.register("airspace_heatmap", results["dim_airspace_heatmap"])
        want, got = duck.run(name, params), spark.run(name, params)
        assert want.num_rows > 0, name
        assert got.schema == want.schema, name
        assert_same_rows(want, got, keys, name)
        results[name] = want


def assert_same_rows(want: pa.Table, got: pa.Table, keys: list[str], name: str = "") -> None:
    """Same rows after sorting by ``keys``: floats within RTOL (nulls and NaNs alike)."""
    assert got.num_rows == want.num_rows, name
    order = [(k, "ascending") for k in keys]
    want, got = want.sort_by(order), got.sort_by(order)
    for column in want.column_names:
        a, b = want.column(column), got.column(column)
        where = f"{name}.{column}"
        if pa.types.is_floating(a.type):
            assert a.is_null().equals(b.is_null()), where
            x = a.to_numpy(zero_copy_only=False).astype(np.float64)
            y = b.to_numpy(zero_copy_only=False).astype(np.float64)
            np.testing.assert_allclose(y, x, rtol=RTOL, atol=0.0, equal_nan=True, err_msg=where)
        else:
            assert a.equals(b), where


def test_comparison_detects_a_difference() -> None:
    """The helper above fails on a float off by more than RTOL and on a changed string."""
    base = pa.table({"k": ["a", "b"], "v": [1.0, 2.0]})
    assert_same_rows(base, pa.table({"k": ["b", "a"], "v": [2.0 * (1 + 1e-12), 1.0]}), ["k"])
    with pytest.raises(AssertionError):
        assert_same_rows(base, pa.table({"k": ["a", "b"], "v": [1.0, 2.0 + 1e-6]}), ["k"])
    with pytest.raises(AssertionError):
        assert_same_rows(base, pa.table({"k": ["a", "c"], "v": [1.0, 2.0]}), ["k"])
