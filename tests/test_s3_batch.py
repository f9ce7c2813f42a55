"""The batch layer on an S3 lake (moto on 127.0.0.1): the whole chain (ingest -> silver -> merge with speed rows -> flights
-> serving load) on S3 compared with the same chain on a local lake.

"Writes nothing" is checked strictly: the S3 bucket has versioning on, so any PUT or DELETE,
even of identical bytes, adds a version; locally, file hashes and modification times.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from aerolake.batch.flights import build_flights
from aerolake.batch.ingest import ingest
from aerolake.batch.merge import merge_gold
from aerolake.batch.silver import build_silver
from aerolake.lake import (
    GOLD_FLIGHTS,
    GOLD_STATES,
    Lake,
)
from aerolake.orchestration.load import SERVING_TABLES, load_serving
from aerolake.schema import STATE_SCHEMA
from aerolake.serving import open_target
from aerolake.settings import Settings, load_settings
from aerolake.sources.files import write_opensky_file
from test_batch_steps import INDIA, lake_state, open_s3_lake, put_speed
from test_s3_engine import rows
from test_serving_models import DAY1, DAY2, read_all, scenario_states

SCENARIO_NOW = dt.datetime(2024, 3, 7, tzinfo=dt.UTC)
#: The aircraft whose trip reaches the lake from the speed layer only.
SPEED_ICAO = "800eee"


def write_scenario(out: Path) -> pa.Table:
    """The two-day scenario of test_serving_models as raw OpenSky files (one per day), minus
    the speed-only trip, which is returned."""
    table = pa.Table.from_pylist(scenario_states(), schema=STATE_SCHEMA)
    speed = pc.equal(table.column("icao24"), SPEED_ICAO)
    batch = table.filter(pc.invert(speed))
    day = pc.cast(pc.divide(batch.column("time"), 86400), pa.int64())
    out.mkdir()
    for n in sorted(set(day.to_pylist())):
        write_opensky_file(batch.filter(pc.equal(day, n)), out / f"day-{n}.csv.gz", "csv.gz")
    return table.filter(speed)


def run_chain(lake: Lake, settings: Settings, src: Path, speed: pa.Table) -> dict[str, Any]:
    """Every batch step once, then a serving load; what each step did."""
    ingested = ingest(lake, [src])
    put_speed(lake, speed, "speed-p0-000000000000", now=SCENARIO_NOW)
    silver = build_silver(lake, INDIA, now=SCENARIO_NOW)
    merged = merge_gold(lake)
    flights = build_flights(lake, settings=settings)
    target = open_target(settings.serving)
    try:
        loaded = load_serving(settings, lake, target)
        tables = read_all(target)
    finally:
        target.close()
    return {
        "ingest": [f.status for f in ingested.files],
        "silver_built": silver.partitions_built,
        "merge_changed": merged.changed,
        "flights_built": flights.dates_built,
        "load_nothing": loaded.nothing_to_do,
        "tables": tables,
    }


def gold_of(lake: Lake) -> dict[str, list[dict[str, Any]]]:
    states = lake.read(GOLD_STATES).drop_columns(["ingested_at"])
    return {
        "states": rows(states.sort_by([("icao24", "ascending"), ("time", "ascending")])),
        "flights": rows(lake.read(GOLD_FLIGHTS).sort_by("flight_id")),
    }


@pytest.mark.s3
def test_s3_chain_equals_local_and_reruns_write_nothing(tmp_path: Path, s3_lake_url: str) -> None:
    speed = write_scenario(tmp_path / "in")
    (tmp_path / "local").mkdir()
    (tmp_path / "s3").mkdir()
    local_settings = load_settings(data_dir=tmp_path / "local")
    local = Lake.open(local_settings.lake)
    remote, settings = open_s3_lake(s3_lake_url, tmp_path / "s3")

    want = run_chain(local, local_settings, tmp_path / "in", speed)
    got = run_chain(remote, settings, tmp_path / "in", speed)
    assert got["ingest"] == ["ingested", "ingested"]
    assert got["flights_built"] == 2 and not got["load_nothing"]
    for name in SERVING_TABLES:
        assert got["tables"][name], f"{name} is empty: the comparison proves nothing"
        assert got["tables"][name] == want["tables"][name], name
    gold = gold_of(remote)
    assert gold == gold_of(local)
    by_icao = {f["icao24"]: f["data_source"] for f in gold["flights"]}
    assert by_icao[SPEED_ICAO] == "speed" and by_icao["800aaa"] == "batch"
    assert {f["first_seen"].date() for f in gold["flights"]} == {DAY1, DAY2}

    before = lake_state(remote)
    assert len(before) > 20  # the chain really wrote to the bucket
    again = run_chain(remote, settings, tmp_path / "in", speed)
    assert again["ingest"] == ["unchanged", "unchanged"]
    assert (again["silver_built"], again["merge_changed"], again["flights_built"]) == (0, [], 0)
    assert again["load_nothing"]
    assert lake_state(remote) == before


@pytest.mark.slow
@pytest.mark.s3
def test_simulated_flights_on_s3_match_ground_truth(tmp_path: Path, s3_lake_url: str) -> None:
    """test_batch_truth's scenario with the lake on S3."""
    from aerolake.orchestration.batch import run_batch
    from aerolake.orchestration.evaluate import score_flights
    from aerolake.orchestration.history import read_ground_truth, write_history

    lake, settings = open_s3_lake(s3_lake_url, tmp_path)
    out = tmp_path / "simulated"
    start = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    write_history(out, settings.region_def, start, 12, aircraft=120, seed=7, fmt="csv.gz")
    assert not ingest(lake, [out]).failed
    summary = run_batch(settings, lake)
    flights = lake.read(GOLD_FLIGHTS)
    assert summary.flights == flights.num_rows > 0
    score = score_flights(read_ground_truth(out), flights)
    assert score.scored > 150
    assert score.rate >= 0.98, score.outcomes
    before = lake_state(lake)
    assert run_batch(settings, lake).nothing_to_do
    assert lake_state(lake) == before
