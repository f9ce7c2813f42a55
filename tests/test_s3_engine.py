"""Engines over an S3 lake: ``Lake.engine_source`` and the DuckDB engine's dataset views."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from aerolake.analytics.duckdb_engine import DuckDBEngine
from aerolake.analytics.segment import segment_flights
from aerolake.errors import LakeError
from aerolake.lake import GOLD_STATES, Lake
from aerolake.schema import GOLD_STATE_SCHEMA
from test_serving_models import DAY1, DAY2, gold_flights, gold_states, scenario_states, write_day


@pytest.fixture(scope="module")
def gold() -> tuple[pa.Table, pa.Table]:
    states = gold_states(scenario_states())
    return states, gold_flights(states)


def rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows with NaN made comparable (the overflight's NaN velocity: NaN != NaN)."""
    return [
        {k: "NaN" if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in table.to_pylist()
    ]


def s3_lake(url: str) -> Lake:
    return Lake.open(url, s3_endpoint=os.environ["AEROLAKE_S3_ENDPOINT"])


def test_register_refuses_remote_paths_and_names_the_dataset_route() -> None:
    engine = DuckDBEngine(threads=1)
    try:
        with pytest.raises(LakeError, match="engine_source") as caught:
            engine.register("states", ["/tmp/a.parquet", "s3://bucket/lake/b.parquet"])
        assert "s3://bucket/lake/b.parquet" in str(caught.value)
        assert "httpfs" in str(caught.value)
    finally:
        engine.close()


def test_engine_source_is_paths_locally_and_an_empty_dataset_for_nothing(
    tmp_path: Path, gold: tuple[pa.Table, pa.Table]
) -> None:
    lake = Lake.open(str(tmp_path / "lake"))
    write_day(lake, DAY1, *gold)
    source = lake.engine_source(GOLD_STATES, {"date": DAY1.isoformat()}, GOLD_STATE_SCHEMA)
    assert isinstance(source, list) and source == lake.uris(GOLD_STATES, {"date": DAY1})
    empty = lake.engine_source(GOLD_STATES, {"date": DAY2.isoformat()}, GOLD_STATE_SCHEMA)
    assert isinstance(empty, ds.Dataset)
    assert empty.count_rows() == 0
    assert empty.schema.names == [*GOLD_STATE_SCHEMA.names, "date", "hour"]


@pytest.mark.s3
def test_s3_dataset_segments_like_local_paths(
    tmp_path: Path, s3_lake_url: str, gold: tuple[pa.Table, pa.Table]
) -> None:
    states, flights = gold
    local, remote = Lake.open(str(tmp_path / "lake")), s3_lake(s3_lake_url)
    for lake in (local, remote):
        write_day(lake, DAY1, states, flights)
        write_day(lake, DAY2, states, flights)
    source = remote.engine_source(GOLD_STATES, None, GOLD_STATE_SCHEMA)
    assert isinstance(source, ds.Dataset)
    assert source.count_rows() == states.num_rows
    got = {}
    for name, src in (("local", local.engine_source(GOLD_STATES)), ("s3", source)):
        engine = DuckDBEngine(threads=2)
        try:
            got[name] = segment_flights(engine, src, parts=2)
        finally:
            engine.close()
    assert got["s3"].num_rows == flights.num_rows > 0
    assert rows(got["s3"]) == rows(got["local"]) == rows(flights)


@pytest.mark.s3
def test_dataset_view_replaces_a_path_view_and_back(
    tmp_path: Path, s3_lake_url: str, gold: tuple[pa.Table, pa.Table]
) -> None:
    states, flights = gold
    local, remote = Lake.open(str(tmp_path / "lake")), s3_lake(s3_lake_url)
    write_day(local, DAY1, states, flights)
    write_day(remote, DAY2, states, flights)
    engine = DuckDBEngine(threads=1)
    try:
        # One view name, re-registered across kinds: each time the newest source wins.
        day1 = segment_flights(engine, local.engine_source(GOLD_STATES))
        day2 = segment_flights(engine, remote.engine_source(GOLD_STATES, None, GOLD_STATE_SCHEMA))
        again = segment_flights(engine, local.engine_source(GOLD_STATES))
    finally:
        engine.close()
    assert day1.num_rows > 0 and day2.num_rows > 0
    assert set(day1.column("icao24").to_pylist()) != set(day2.column("icao24").to_pylist())
    assert rows(again) == rows(day1)


def test_a_dataset_that_fails_to_read_raises_lake_error(
    tmp_path: Path, gold: tuple[pa.Table, pa.Table]
) -> None:
    lake = Lake.open(str(tmp_path / "lake"))
    write_day(lake, DAY1, *gold)
    dataset = lake.dataset(GOLD_STATES, None, GOLD_STATE_SCHEMA)
    for path in lake.files(GOLD_STATES):  # as if the storage lost them mid-run
        os.remove(path)
    engine = DuckDBEngine(threads=1)
    try:
        with pytest.raises(LakeError, match="could not read its input"):
            segment_flights(engine, dataset)
    finally:
        engine.close()
