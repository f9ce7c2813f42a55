"""The ingest ledger: new / changed / unchanged, persistence, and a changed file replacing
its own bronze rows (and only those)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pyarrow as pa
import pytest

from aerolake.lake import BRONZE_STATES, Lake, partition_path
from aerolake.lake.ledger import (
    Entry,
    IngestLedger,
    bronze_file_key,
    file_checksum,
    retire,
)
from test_lake import S3_PARAM, open_test_lake, snapshot


@pytest.fixture(params=["local", S3_PARAM])
def lake(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lake:
    return open_test_lake(request, tmp_path, monkeypatch)


NOW = dt.datetime(2024, 5, 2, 12, 0, tzinfo=dt.UTC)


def entry(path: str, checksum: str, partitions: tuple[str, ...] = ()) -> Entry:
    return Entry(path, checksum, 10, 2, "batch-1", partitions, NOW)


def ingest(lake: Lake, ledger: IngestLedger, path: str, checksum: str, rows: pa.Table) -> str:
    """What ``aerolake ingest`` does for one file (rows carry an ``hour`` column)."""
    verdict = ledger.should_ingest(path, checksum)
    if verdict == "unchanged":
        return verdict
    key = bronze_file_key(path, checksum)
    with lake.staged(BRONZE_STATES) as stage:
        if old := ledger.lookup(path):
            retire(stage, old)
        for hour in sorted(set(rows.column("hour").to_pylist())):
            part = rows.filter(pa.compute.equal(rows.column("hour"), hour))
            stage.add({"date": "2024-05-01", "hour": hour}, key, part)
    paths = tuple(partition_path(p) for p in stage.partitions_with(key))
    ledger.record(Entry(path, checksum, 0, rows.num_rows, "b", paths, NOW))
    return verdict


def rows(icao: list[str], hours: list[int]) -> pa.Table:
    return pa.table({"icao24": icao, "hour": pa.array(hours, pa.int32())})


def test_verdicts_new_changed_unchanged_and_force(lake: Lake) -> None:
    ledger = IngestLedger(lake)
    assert ledger.should_ingest("/data/a.csv", "c1") == "new"
    ledger.record(entry("/data/a.csv", "c1"))
    assert ledger.should_ingest("/data/a.csv", "c1") == "unchanged"
    assert ledger.should_ingest("/data/a.csv", "c1", force=True) == "changed"
    assert ledger.should_ingest("/data/a.csv", "c2") == "changed"


def test_ledger_persists_in_the_lake_and_replaces_by_path(lake: Lake) -> None:
    IngestLedger(lake).record(entry("/b.csv", "x", ("date=2024-05-01/hour=7",)))
    IngestLedger(lake).record(entry("/a.csv", "y"), entry("/b.csv", "z"))
    reopened = IngestLedger(lake)
    assert [(e.path, e.checksum) for e in reopened.entries()] == [("/a.csv", "y"), ("/b.csv", "z")]
    found = reopened.lookup("/a.csv")
    assert found is not None and found.ingested_at == NOW and found.partitions == ()
    reopened.forget(["/a.csv"])
    assert IngestLedger(lake).lookup("/a.csv") is None


def test_entry_partitions_round_trip(lake: Lake) -> None:
    IngestLedger(lake).record(
        entry("/a", "c", ("date=2024-05-01/hour=7", "date=2024-05-01/hour=8"))
    )
    found = IngestLedger(lake).lookup("/a")
    assert found is not None
    assert found.partition_dicts() == [
        {"date": "2024-05-01", "hour": 7},
        {"date": "2024-05-01", "hour": 8},
    ]


def test_entry_requires_utc() -> None:
    with pytest.raises(ValueError, match="UTC"):
        Entry(
            "/a",
            "c",
            1,
            1,
            "b",
            (),
            dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))),
        )


def test_changed_file_replaces_its_own_rows_only(lake: Lake) -> None:
    ledger = IngestLedger(lake)
    assert ingest(lake, ledger, "/a.csv", "v1", rows(["a7", "a8"], [7, 8])) == "new"
    assert ingest(lake, ledger, "/b.csv", "v1", rows(["b8"], [8])) == "new"
    assert ingest(lake, ledger, "/a.csv", "v1", rows(["a7", "a8"], [7, 8])) == "unchanged"
    assert ingest(lake, ledger, "/a.csv", "v2", rows(["A8", "A9"], [8, 9])) == "changed"
    got = lake.read(BRONZE_STATES).select(["icao24", "hour"]).to_pylist()
    assert sorted((r["hour"], r["icao24"]) for r in got) == [(8, "A8"), (8, "b8"), (9, "A9")]
    assert [p["hour"] for p in lake.partitions(BRONZE_STATES)] == [8, 9]
    latest = IngestLedger(lake).lookup("/a.csv")
    assert latest is not None and latest.checksum == "v2"
    assert latest.partitions == ("date=2024-05-01/hour=8", "date=2024-05-01/hour=9")


def test_rerunning_an_ingest_leaves_the_lake_unchanged(lake: Lake) -> None:
    ledger = IngestLedger(lake)
    ingest(lake, ledger, "/a.csv", "v1", rows(["a7", "a8"], [7, 8]))
    before = snapshot(lake)
    assert (
        ingest(lake, IngestLedger(lake), "/a.csv", "v1", rows(["a7", "a8"], [7, 8])) == "unchanged"
    )
    assert snapshot(lake) == before


def test_bronze_file_key_depends_on_path_and_checksum() -> None:
    keys = {bronze_file_key(p, c) for p in ("/a", "/b") for c in ("c1" * 8, "c2" * 8)}
    assert len(keys) == 4
    assert bronze_file_key("/a", "f" * 64) == bronze_file_key("/a", "f" * 64)


def test_file_checksum(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"time,icao24\n1,abc123\n")
    digest, size = file_checksum(str(path))
    assert (digest, size) == (hashlib.sha256(path.read_bytes()).hexdigest(), 21)


def test_file_checksum_of_a_compressed_file_is_of_its_stored_bytes(tmp_path: Path) -> None:
    """Ingest ledger and files source agree, and a truncated archive still gets a checksum
    (its read then fails alone, naming the file)."""
    import gzip

    from aerolake.sources.files import file_checksum as source_checksum

    path = tmp_path / "x.csv.gz"
    stored = gzip.compress(b"time,icao24\n1,abc123\n" * 50)
    path.write_bytes(stored[: len(stored) // 2])
    digest, size = file_checksum(str(path))
    assert (digest, size) == (hashlib.sha256(path.read_bytes()).hexdigest(), len(stored) // 2)
    assert source_checksum(path) == digest
