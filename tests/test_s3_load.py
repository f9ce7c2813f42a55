"""``load_serving`` from an S3 lake (moto on 127.0.0.1) into DuckDB: the engine reads gold as
pyarrow datasets, per-date loads read only the wanted dates, and the tables equal a load of
the same gold from a local lake."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest

from aerolake.lake import Lake
from aerolake.orchestration.load import SERVING_TABLES, load_serving
from aerolake.serving import open_target
from test_serving_models import (
    DAY1,
    DAY2,
    gold_flights,
    gold_states,
    read_all,
    scenario_states,
    write_day,
)
from test_serving_models import settings as make_settings

pytestmark = pytest.mark.s3


@pytest.fixture(scope="module")
def gold() -> tuple[pa.Table, pa.Table]:
    states = gold_states(scenario_states())
    return states, gold_flights(states)


def test_incremental_load_from_s3_equals_full_load_from_local(
    tmp_path: Path, s3_lake_url: str, gold: tuple[pa.Table, pa.Table]
) -> None:
    states, flights = gold
    config = make_settings(tmp_path)
    remote = Lake.open(s3_lake_url, s3_endpoint=os.environ["AEROLAKE_S3_ENDPOINT"])
    local = Lake.open(str(tmp_path / "lake"))
    incremental = open_target("duckdb:///" + str(tmp_path / "inc.duckdb"))
    full = open_target("duckdb:///" + str(tmp_path / "full.duckdb"))
    try:
        write_day(remote, DAY1, states, flights)
        first = load_serving(config, remote, incremental)
        assert first.dates["fact_flight_history"] == [DAY1]
        write_day(remote, DAY2, states, flights)
        second = load_serving(config, remote, incremental)
        assert second.dates["fact_flight_history"] == [DAY2]
        assert DAY1 in second.dates["dim_aircraft_utilization"]
        assert second.rows["dim_airspace_heatmap"] > 0

        for day in (DAY1, DAY2):
            write_day(local, day, states, flights)
        load_serving(config, local, full, full=True)
        got, want = read_all(incremental), read_all(full)
        for name in SERVING_TABLES:
            assert want[name], f"{name} is empty: the comparison proves nothing"
            assert got[name] == want[name], name
        [late] = [r for r in got["dim_aircraft_utilization"] if r["icao24"] == "800ddd"]
        assert late["last_altitude_m"] == 237.0  # read from DAY2's states on S3

        third = load_serving(config, remote, incremental)
        assert third.nothing_to_do
    finally:
        incremental.close()
        full.close()
