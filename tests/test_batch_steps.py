"""Batch steps on a local lake: ingest idempotence, silver, and the batch/speed merge rule."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from aerolake.batch.ingest import ingest
from aerolake.batch.merge import merge_gold
from aerolake.batch.silver import RegionFilter, build_silver
from aerolake.lake import (
    BRONZE_STATES,
    GOLD_STATES,
    SILVER_QUARANTINE,
    SILVER_SPEED_STATES,
    SILVER_STATES,
    Lake,
)
from aerolake.refdata.regions import PRESETS
from aerolake.schema import SILVER_SCHEMA, STATE_SCHEMA
from aerolake.sources.files import write_opensky_file

NOW = dt.datetime(2024, 6, 3, tzinfo=dt.UTC)
H0 = int(dt.datetime(2024, 6, 1, 10, tzinfo=dt.UTC).timestamp())
INDIA = RegionFilter(PRESETS["india"])


def states(icao: str, t0: int, n: int, *, step: int = 10, **over: Any) -> pa.Table:
    rows = []
    for i in range(n):
        t = t0 + i * step
        row: dict[str, Any] = {
            "time": t,
            "icao24": icao,
            "lat": 20.0 + i * 0.01,
            "lon": 75.0,
            "velocity": 200.0,
            "heading": 0.0,
            "vertrate": 0.0,
            "callsign": "IGO123",
            "onground": False,
            "alert": False,
            "spi": False,
            "squawk": "1234",
            "baroaltitude": 10000.0,
            "geoaltitude": 10100.0,
            "lastposupdate": t - 1.0,
            "lastcontact": t - 0.5,
            "origin_country": "India",
            "source": "files",
            "ingested_at": NOW,
            "batch_id": "x",
        }
        row.update(over)
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=STATE_SCHEMA)


def lake_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake.open(str(tmp_path / "lake"))


def test_ingest_is_idempotent_and_replaces_changed_files(lake: Lake, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    # Two hours in one file, one hour in another.
    write_opensky_file(
        pa.concat_tables([states("800001", H0, 30), states("800002", H0 + 3600, 30)]),
        src / "a.csv.gz",
        "csv.gz",
    )
    write_opensky_file(states("800003", H0, 20), src / "b.csv", "csv")
    first = ingest(lake, [src])
    assert [f.status for f in first.files] == ["ingested", "ingested"]
    assert lake.read(BRONZE_STATES).num_rows == 80
    assert len(lake.partitions(BRONZE_STATES)) == 2
    before = lake_digest(Path(lake.root))
    again = ingest(lake, [src])
    assert [f.status for f in again.files] == ["unchanged", "unchanged"]
    assert lake_digest(Path(lake.root)) == before
    # A changed file replaces its own rows, and only those.
    write_opensky_file(states("800003", H0, 5), src / "b.csv", "csv")
    changed = ingest(lake, [src])
    assert [f.status for f in changed.files] == ["unchanged", "replaced"]
    assert lake.read(BRONZE_STATES).num_rows == 65
    forced = ingest(lake, [src], force=True)
    assert [f.status for f in forced.files] == ["replaced", "replaced"]
    assert lake.read(BRONZE_STATES).num_rows == 65


def test_corrupt_file_fails_alone(lake: Lake, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    write_opensky_file(states("800001", H0, 30), src / "good.csv.gz", "csv.gz")
    good = (src / "good.csv.gz").read_bytes()
    (src / "bad.csv.gz").write_bytes(good[: len(good) // 2])
    summary = ingest(lake, [src])
    by_name = {Path(f.path).name: f for f in summary.files}
    assert by_name["good.csv.gz"].status == "ingested"
    assert by_name["bad.csv.gz"].status == "failed"
    assert "bad.csv.gz" in by_name["bad.csv.gz"].message
    assert lake.read(BRONZE_STATES).num_rows == 30


def test_silver_validates_dedupes_filters_and_sorts(lake: Lake, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    data = pa.concat_tables(
        [
            states("800002", H0, 10),
            states("800001", H0, 10),
            states("800001", H0, 3),  # duplicates of the first three
            states("800009", H0, 2, lat=None),  # no position
            states("800008", H0, 4, lat=50.0),  # outside India
        ]
    )
    write_opensky_file(data, src / "a.parquet", "parquet")
    ingest(lake, [src])
    summary = build_silver(lake, INDIA, now=NOW)
    silver = lake.read(SILVER_STATES, columns=SILVER_SCHEMA.names)
    assert silver.num_rows == 20
    assert summary.quarantined == {"duplicate": 3, "no_position": 2}
    assert summary.partitions_built == 1
    assert summary.out_of_region == 4
    assert lake.read(SILVER_QUARANTINE).num_rows == 5
    keys = list(
        zip(silver.column("icao24").to_pylist(), silver.column("time").to_pylist(), strict=True)
    )
    assert keys == sorted(keys)
    assert set(silver.column("airline_icao").to_pylist()) == {"IGO"}
    assert set(silver.column("registration_country").to_pylist()) == {"India"}
    before = lake_digest(Path(lake.root))
    rerun = build_silver(lake, INDIA, now=NOW)
    assert rerun.partitions_built == 0 and rerun.partitions_unchanged == 1
    assert lake_digest(Path(lake.root)) == before


def _speed(lake: Lake, table: pa.Table, key: str) -> None:
    from aerolake.refdata.enrich import enrich
    from aerolake.validate import validate

    silver = enrich(validate(table, now=NOW).valid, None)
    hour = int(table.column("time")[0].as_py()) // 3600 * 3600
    part = {
        "date": dt.datetime.fromtimestamp(hour, dt.UTC).strftime("%Y-%m-%d"),
        "hour": dt.datetime.fromtimestamp(hour, dt.UTC).hour,
    }
    lake.upsert_files(SILVER_SPEED_STATES, part, {key: silver}, SILVER_SCHEMA)


def test_merge_batch_supersedes_speed_per_hour(lake: Lake, tmp_path: Path) -> None:
    # Speed layer covered hours 10 and 11; the batch layer later loads hour 10 only.
    _speed(lake, states("800001", H0, 20, source="simulator"), "p0-0-19")
    _speed(lake, states("800001", H0 + 3600, 15, source="simulator"), "p0-20-34")
    _speed(lake, states("800002", H0 + 3600, 5, source="simulator-fallback"), "p0-35-39")
    first = merge_gold(lake)
    assert first.speed_hours == 2 and first.batch_hours == 0
    gold = lake.read(GOLD_STATES)
    assert gold.num_rows == 35  # fallback states never reach gold
    assert set(gold.column("data_source").to_pylist()) == {"speed"}

    src = tmp_path / "in"
    src.mkdir()
    write_opensky_file(states("800001", H0, 25), src / "h10.csv", "csv")
    ingest(lake, [src])
    build_silver(lake, INDIA, now=NOW)
    second = merge_gold(lake)
    assert (second.batch_hours, second.speed_hours, second.unchanged_hours) == (1, 0, 1)
    gold = lake.read(GOLD_STATES)
    by_hour = pc.value_counts(
        pc.binary_join_element_wise(
            gold.column("data_source"), pc.cast(gold.column("hour"), pa.string()), ":"
        )
    ).to_pylist()
    assert {c["values"]: c["counts"] for c in by_hour} == {"batch:10": 25, "speed:11": 15}
    before = lake_digest(Path(lake.root))
    third = merge_gold(lake)
    assert third.changed == [] and lake_digest(Path(lake.root)) == before
