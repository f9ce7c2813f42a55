"""The lake: manifest commits, idempotent and atomic partition writes, readers.

Every behavioural test runs against the ``lake`` fixture: a local folder, and an S3 bucket on
a moto server on 127.0.0.1 when moto is installed (ids ``local`` / ``s3``; deselect S3 with
``-k "not s3"``).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pytest

from aerolake.errors import LakeError
from aerolake.lake import BRONZE_STATES, GOLD_FLIGHTS, SILVER_STATES, Lake, parquet
from aerolake.lake import fs as lakefs

H7 = {"date": "2024-05-01", "hour": 7}
H8 = {"date": "2024-05-01", "hour": 8}
NEXT_DAY = {"date": "2024-05-02", "hour": 0}

# moto[server] is a dev dependency: in CI a missing moto fails the S3 cases, never skips them.
S3_PARAM = pytest.param("s3", marks=pytest.mark.s3)


@pytest.fixture(params=["local", S3_PARAM])
def lake(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lake:
    return open_test_lake(request, tmp_path, monkeypatch)


def open_test_lake(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Lake:
    """The ``lake`` fixture's body, shared with the other ``test_lake*`` modules."""
    if request.param == "local":
        return Lake.open(str(tmp_path / "lake"))
    endpoint = request.getfixturevalue("moto_endpoint")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    opened = Lake.open(f"s3://{bucket}/prefix", s3_endpoint=endpoint)
    host = endpoint.removeprefix("http://")
    admin = pafs.S3FileSystem(endpoint_override=host, scheme="http", allow_bucket_creation=True)
    admin.create_dir(bucket)
    return opened


def states(icao: list[str], start: int = 0) -> pa.Table:
    return pa.table(
        {
            "time": pa.array(range(start, start + len(icao)), pa.int64()),
            "icao24": icao,
            "velocity": pa.array([100.0 + i for i in range(len(icao))]),
        }
    )


def snapshot(lake: Lake) -> dict[str, str]:
    """Every physical file below the root -> sha256 of its bytes."""
    out = {}
    for info in lakefs.list_files(lake.fs, lake.root, recursive=True):
        out[info.path[len(lake.root) :]] = hashlib.sha256(
            lakefs.get_bytes(lake.fs, info.path)
        ).hexdigest()
    return out


def icaos(lake: Lake, table: str = BRONZE_STATES, **kw: object) -> list[str]:
    return list(lake.read(table, **kw).column("icao24").to_pylist())  # type: ignore[arg-type]


# Replace / upsert / remove --------------------------------------------------------------------


def test_replace_partition_replaces_whole_content(lake: Lake) -> None:
    lake.upsert_files(BRONZE_STATES, H7, {"a": states(["a1"]), "b": states(["b1"])})
    lake.replace_partition(BRONZE_STATES, H7, states(["n1", "n2"]), "new")
    assert icaos(lake) == ["n1", "n2"]
    manifest = lake.manifest(BRONZE_STATES, H7)
    assert manifest is not None and manifest.keys() == {"new"} and manifest.rows == 2


def test_upsert_replaces_only_its_keys(lake: Lake) -> None:
    lake.upsert_files(BRONZE_STATES, H7, {"a": states(["a1"]), "b": states(["b1"])})
    lake.upsert_files(BRONZE_STATES, H7, {"b": states(["b2", "b3"]), "c": states(["c1"])})
    assert icaos(lake) == ["a1", "b2", "b3", "c1"]  # manifest (key) order


def test_remove_files_and_remove_all_hides_the_partition(lake: Lake) -> None:
    lake.upsert_files(BRONZE_STATES, H7, {"a": states(["a1"]), "b": states(["b1"])})
    lake.upsert_files(BRONZE_STATES, H8, {"a": states(["a8"])})
    lake.remove_files(BRONZE_STATES, H7, ["a", "not-there"])
    assert icaos(lake) == ["b1", "a8"]
    lake.remove_files(BRONZE_STATES, H7, ["b"])
    assert lake.partitions(BRONZE_STATES) == [{"date": "2024-05-01", "hour": 8}]


def test_delete_partition_removes_data_files(lake: Lake) -> None:
    lake.replace_partition(BRONZE_STATES, H7, states(["a"]), "k")
    lake.replace_partition(BRONZE_STATES, H7, states(["b"]), "k2")
    lake.delete_partition(BRONZE_STATES, H7)
    assert lake.partitions(BRONZE_STATES) == []
    assert lake.read(BRONZE_STATES).num_rows == 0
    assert not [p for p in snapshot(lake) if p.endswith(".parquet")]


def test_read_adds_typed_partition_columns_and_filters(lake: Lake) -> None:
    lake.replace_partition(BRONZE_STATES, H7, states(["a", "b"]), "k")
    lake.replace_partition(BRONZE_STATES, NEXT_DAY, states(["c"]), "k")
    table = lake.read(BRONZE_STATES)
    assert table.schema.field("date").type == pa.date32()
    assert table.schema.field("hour").type == pa.int32()
    assert lake.read(BRONZE_STATES, partitions={"date": "2024-05-02"}).num_rows == 1
    assert lake.read(BRONZE_STATES, partitions=[]).num_rows == 0
    only_b = lake.read(BRONZE_STATES, columns=["icao24"], filter=pc.field("icao24") == "b")
    assert only_b.column_names == ["icao24"] and only_b.num_rows == 1


def test_partition_columns_in_data_are_not_stored_twice(lake: Lake) -> None:
    data = states(["a"]).append_column("hour", pa.array([99], pa.int32()))
    lake.replace_partition(BRONZE_STATES, H7, data, "k")
    assert lake.read(BRONZE_STATES).column("hour").to_pylist() == [7]


def test_partitions_are_sorted_and_daily_tables_take_only_date(lake: Lake) -> None:
    for hour in (10, 9, 2):
        lake.replace_partition(
            SILVER_STATES, {"hour": hour, "date": "2024-05-01"}, states(["x"]), "k"
        )
    assert [p["hour"] for p in lake.partitions(SILVER_STATES)] == [2, 9, 10]
    lake.replace_partition(GOLD_FLIGHTS, {"date": "2024-05-01"}, states(["x"]), "k")
    with pytest.raises(LakeError, match="partitioned by"):
        lake.replace_partition(GOLD_FLIGHTS, H7, states(["x"]), "k")


def test_empty_replacement_keeps_schema(lake: Lake) -> None:
    lake.replace_partition(BRONZE_STATES, H7, states([]), "k")
    manifest = lake.manifest(BRONZE_STATES, H7)
    assert manifest is not None and manifest.rows == 0 and len(manifest.files) == 1
    assert "velocity" in lake.read(BRONZE_STATES).column_names


def test_large_inputs_are_split_into_several_files(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parquet, "FILE_ROWS", 4)
    batches = states([f"a{i}" for i in range(10)]).to_batches(max_chunksize=3)
    manifest = lake.replace_partition(BRONZE_STATES, H7, batches, "k")
    assert manifest is not None and [f.rows for f in manifest.files] == [4, 4, 2]
    assert icaos(lake) == [f"a{i}" for i in range(10)]


# Idempotency ------------------------------------------------------------------------------------


def test_same_input_twice_leaves_the_lake_byte_identical(lake: Lake) -> None:
    def run() -> None:
        lake.replace_partition(SILVER_STATES, H7, states(["a", "b"]), "batch-1")
        lake.upsert_files(BRONZE_STATES, H8, {"f1": states(["x"]), "f2": states(["y"])})
        with lake.staged(BRONZE_STATES) as stage:
            stage.add(H7, "f3", states(["z"]))
            stage.add(NEXT_DAY, "f3", states(["w"]))

    run()
    first = snapshot(lake)
    run()
    assert snapshot(lake) == first
    assert len([p for p in first if p.endswith(".parquet")]) == 5


def test_same_table_gives_same_file_name_whatever_the_chunking(lake: Lake) -> None:
    table = states([f"a{i}" for i in range(50)])
    one = lake.replace_partition(BRONZE_STATES, H7, table, "k")
    two = lake.replace_partition(BRONZE_STATES, H8, table.to_batches(max_chunksize=7), "k")
    assert one is not None and two is not None
    assert [f.name for f in one.files] == [f.name for f in two.files]


def test_changed_content_under_the_same_key_gets_a_new_file(lake: Lake) -> None:
    first = lake.replace_partition(BRONZE_STATES, H7, states(["a"]), "k")
    second = lake.replace_partition(BRONZE_STATES, H7, states(["b"]), "k")
    assert first is not None and second is not None
    assert first.files[0].name != second.files[0].name
    assert second.generation == first.generation + 1


# Atomicity --------------------------------------------------------------------------------------


def test_readers_see_old_content_until_the_stage_commits(lake: Lake) -> None:
    lake.replace_partition(BRONZE_STATES, H7, states(["old"]), "k")
    before = lake.files(BRONZE_STATES)
    with lake.staged(BRONZE_STATES) as stage:
        stage.replace(H7, "k2", states(["new"]))
        assert lake.files(BRONZE_STATES) == before
        assert icaos(lake) == ["old"]
    assert lake.files(BRONZE_STATES) != before
    assert icaos(lake) == ["new"]


def test_previous_generation_files_survive_one_commit(lake: Lake) -> None:
    """A reader that listed just before a commit can still open what it listed."""
    lake.replace_partition(BRONZE_STATES, H7, states(["v1"]), "k")
    listed = lake.files(BRONZE_STATES)
    lake.replace_partition(BRONZE_STATES, H7, states(["v2"]), "k")
    assert all(lake.fs.get_file_info(p).size > 0 for p in listed)
    lake.replace_partition(BRONZE_STATES, H7, states(["v3"]), "k")
    assert all(p not in snapshot(lake) for p in (x[len(lake.root) :] for x in listed))


def test_writer_failing_mid_stage_leaves_old_content_and_no_new_files(lake: Lake) -> None:
    lake.replace_partition(BRONZE_STATES, H7, states(["old7"]), "k")
    lake.replace_partition(BRONZE_STATES, H8, states(["old8"]), "k")
    before = snapshot(lake)
    with pytest.raises(ValueError, match="corrupt"), lake.staged(BRONZE_STATES) as stage:
        stage.replace(H7, "k2", states(["new7"]))
        stage.add(NEXT_DAY, "k2", states(["new0"]))
        raise ValueError("corrupt input row 3")
    assert icaos(lake) == ["old7", "old8"]
    assert snapshot(lake) == before


def test_failing_data_iterator_leaves_old_content(lake: Lake) -> None:
    lake.replace_partition(BRONZE_STATES, H7, states(["old"]), "k")
    before = snapshot(lake)

    def broken() -> Iterator[pa.RecordBatch]:
        yield from states(["n1", "n2"]).to_batches()
        raise ValueError("corrupt batch")

    with pytest.raises(ValueError, match="corrupt batch"):
        lake.replace_partition(BRONZE_STATES, H7, broken(), "k2")
    assert snapshot(lake) == before


def test_crash_before_the_manifest_leaves_orphans_that_the_next_commit_deletes(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake.replace_partition(BRONZE_STATES, H7, states(["old"]), "k")
    real_put = lakefs.put_atomic

    def put_no_manifest(fs: object, path: str, data: object) -> None:
        if "_manifest-" in path:
            raise KeyboardInterrupt  # the process dies: no cleanup runs in a real crash
        real_put(fs, path, data)  # type: ignore[arg-type]

    monkeypatch.setattr(lakefs, "put_atomic", put_no_manifest)
    with pytest.raises(KeyboardInterrupt):
        lake.replace_partition(BRONZE_STATES, H7, states(["new"]), "k2")
    monkeypatch.setattr(lakefs, "put_atomic", real_put)
    assert icaos(lake) == ["old"]
    parquet_files = [p for p in snapshot(lake) if p.endswith(".parquet")]
    assert len(parquet_files) == 2 and any("part-k2--" in p for p in parquet_files)
    lake.replace_partition(BRONZE_STATES, H7, states(["newer"]), "k3")
    parquet_files = [p for p in snapshot(lake) if p.endswith(".parquet")]
    assert len(parquet_files) == 2  # the live one and the previous generation's, no orphan
    assert not any("part-k2--" in p for p in parquet_files)


def test_orphans_from_a_killed_writer_are_collected(lake: Lake) -> None:
    lake.replace_partition(BRONZE_STATES, H7, states(["old"]), "k")
    orphan = lake.path(BRONZE_STATES, "date=2024-05-01/hour=7/part-dead--0000-00.parquet")
    lakefs.put_atomic(lake.fs, orphan, b"half a file")
    assert icaos(lake) == ["old"]  # not in the manifest: invisible
    lake.upsert_files(BRONZE_STATES, H7, {"k2": states(["n"])})
    assert orphan[len(lake.root) :] not in snapshot(lake)


def test_corrupt_manifest_is_reported_with_its_path(lake: Lake) -> None:
    lake.replace_partition(BRONZE_STATES, H7, states(["a"]), "k")
    bad = lake.path(BRONZE_STATES, "date=2024-05-01/hour=7/_manifest-0000000009.json")
    lakefs.put_atomic(lake.fs, bad, b"{not json")
    with pytest.raises(LakeError, match=r"_manifest-0000000009\.json"):
        lake.files(BRONZE_STATES)


# Readers and stats ----------------------------------------------------------------------------


def test_duckdb_reads_the_manifested_files_with_hive_partitioning(tmp_path: Path) -> None:
    lake = Lake.open(str(tmp_path / "lake"))
    lake.upsert_files(BRONZE_STATES, H7, {"a": states(["a1", "a2"])})
    lake.upsert_files(BRONZE_STATES, NEXT_DAY, {"a": states(["c1"])})
    # an uncommitted file in the folder must not be read
    lakefs.put_atomic(
        lake.fs, lake.path(BRONZE_STATES, "date=2024-05-01/hour=7/part-x.parquet"), b"x"
    )
    rows = duckdb.read_parquet(lake.uris(BRONZE_STATES), hive_partitioning=True)
    got = rows.query(
        "t", "select icao24, typeof(date), typeof(hour), hour from t order by 1"
    ).fetchall()
    assert got == [
        ("a1", "DATE", "BIGINT", 7),
        ("a2", "DATE", "BIGINT", 7),
        ("c1", "DATE", "BIGINT", 0),
    ]


def test_stats_count_committed_files_and_bytes(lake: Lake) -> None:
    lake.upsert_files(BRONZE_STATES, H7, {"a": states(["a"]), "b": states(["b"])})
    lake.replace_partition(SILVER_STATES, H7, states(["a"]), "k")
    files, size = lake.stats("bronze")
    assert files == 2
    assert size == sum(lake.fs.get_file_info(p).size for p in lake.files(BRONZE_STATES))
    assert lake.stats("")[0] == 3
    assert lake.stats("gold") == (0, 0)


def test_open_rejects_unknown_schemes_and_bucketless_urls(tmp_path: Path) -> None:
    with pytest.raises(LakeError, match="expected a local path"):
        Lake.open("hdfs://x/y")
    with pytest.raises(LakeError, match="no bucket"):
        Lake.open("s3://")
    local = Lake.open(f"file://{tmp_path}/lake")
    assert local.root == f"{tmp_path}/lake"
    assert local.uri("gold/flights") == f"{tmp_path}/lake/gold/flights"


def test_copy_or_link_links_locally_and_copies_when_it_cannot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = pafs.LocalFileSystem()
    source = tmp_path / "a.parquet"
    source.write_bytes(b"parquet bytes")
    lakefs.copy_or_link(local, str(source), str(tmp_path / "linked.parquet"))
    linked = tmp_path / "linked.parquet"
    assert linked.read_bytes() == b"parquet bytes"
    assert linked.stat().st_ino == source.stat().st_ino

    def no_links(src: str, dst: str) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(lakefs.os, "link", no_links)
    lakefs.copy_or_link(local, str(source), str(tmp_path / "copied.parquet"))
    copied = tmp_path / "copied.parquet"
    assert copied.read_bytes() == b"parquet bytes"
    assert copied.stat().st_ino != source.stat().st_ino
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.parquet",
        "copied.parquet",
        "linked.parquet",
    ]
