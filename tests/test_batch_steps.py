"""Batch steps on a local and an S3 lake (moto on 127.0.0.1): ingest idempotence, corrupt files,
silver, and the batch/speed merge rule. "Writes nothing" is checked strictly: on S3 every object
version (the bucket has versioning on), locally content hashes and modification times."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
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
from aerolake.lake import fs as lakefs
from aerolake.refdata.enrich import enrich
from aerolake.refdata.regions import PRESETS
from aerolake.schema import SILVER_SCHEMA, STATE_SCHEMA
from aerolake.settings import Settings, load_settings
from aerolake.sources.files import write_opensky_file
from aerolake.validate import validate

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


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


def open_s3_lake(url: str, tmp_path: Path) -> tuple[Lake, Settings]:
    """The lake as the CLI opens it, from settings (endpoint from ``AEROLAKE_S3_ENDPOINT``),
    with bucket versioning on so that :func:`lake_state` sees every write."""
    settings = load_settings(data_dir=tmp_path, lake_url=url)
    assert settings.s3_endpoint == os.environ["AEROLAKE_S3_ENDPOINT"]
    bucket = url.removeprefix("s3://").partition("/")[0]
    s3_client(settings.s3_endpoint).put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    return Lake.open(settings.lake, settings.s3_endpoint), settings


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Lake:
    if request.param == "local":
        return Lake.open(str(tmp_path / "lake"))
    return open_s3_lake(request.getfixturevalue("s3_lake_url"), tmp_path)[0]


def lake_state(lake: Lake) -> dict[str, str]:
    """Every file of the lake with a fingerprint that changes on any write: on S3 every
    object version and delete marker (ETag); locally the content hash and mtime."""
    if lakefs.is_local(lake.fs):
        root = Path(lake.root)
        return {
            str(p.relative_to(root)): f"{hashlib.sha256(p.read_bytes()).hexdigest()}:"
            f"{p.stat().st_mtime_ns}"
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }
    bucket, _, prefix = lake.root.partition("/")
    client = s3_client(os.environ["AEROLAKE_S3_ENDPOINT"])
    found: dict[str, str] = {}
    for page in client.get_paginator("list_object_versions").paginate(
        Bucket=bucket, Prefix=prefix + "/"
    ):
        for version in page.get("Versions", []):
            found[f"{version['Key']}@{version['VersionId']}"] = version["ETag"]
        for marker in page.get("DeleteMarkers", []):
            found[f"{marker['Key']}@{marker['VersionId']}"] = "deleted"
    return found


def test_ingest_is_idempotent_and_replaces_changed_files(lake: Lake, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
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
    before = lake_state(lake)
    assert len(before) >= 4  # two partitions' data and manifests, and the ledger
    again = ingest(lake, [src])
    assert [f.status for f in again.files] == ["unchanged", "unchanged"]
    assert lake_state(lake) == before
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
    assert summary.out_of_region == 4
    assert lake.read(SILVER_QUARANTINE).num_rows == 5
    keys = list(
        zip(silver.column("icao24").to_pylist(), silver.column("time").to_pylist(), strict=True)
    )
    assert keys == sorted(keys)
    before = lake_state(lake)
    rerun = build_silver(lake, INDIA, now=NOW)
    assert rerun.partitions_built == 0 and rerun.partitions_unchanged == 1
    assert lake_state(lake) == before


def put_speed(lake: Lake, table: pa.Table, key: str, now: dt.datetime = NOW) -> None:
    """What the speed layer leaves in the lake: validated, enriched rows of one hour."""
    silver = enrich(validate(table, now=now).valid, None)
    hour = dt.datetime.fromtimestamp(int(table.column("time")[0].as_py()) // 3600 * 3600, dt.UTC)
    part = {"date": hour.date().isoformat(), "hour": hour.hour}
    lake.upsert_files(SILVER_SPEED_STATES, part, {key: silver}, SILVER_SCHEMA)


def test_merge_batch_supersedes_speed_per_hour(lake: Lake, tmp_path: Path) -> None:
    put_speed(lake, states("800001", H0, 20, source="simulator"), "p0-0-19")
    put_speed(lake, states("800001", H0 + 3600, 15, source="simulator"), "p0-20-34")
    put_speed(lake, states("800002", H0 + 3600, 5, source="simulator-fallback"), "p0-35-39")
    first = merge_gold(lake)
    assert first.speed_hours == 2 and first.batch_hours == 0
    assert lake.read(GOLD_STATES).num_rows == 35  # fallback states never reach gold
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
    before = lake_state(lake)
    third = merge_gold(lake)
    assert third.changed == [] and lake_state(lake) == before


# The whole chain: S3 gives what local gives ---------------------------------------------------
