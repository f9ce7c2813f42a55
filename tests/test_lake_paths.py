"""Pure parts of the lake: partition paths, file names, manifests, Parquet chunking."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from aerolake.errors import LakeError
from aerolake.lake import parquet
from aerolake.lake.manifest import FileEntry, Manifest, from_json, merge_files, to_json
from aerolake.lake.paths import (
    data_file_name,
    join,
    manifest_generation,
    manifest_name,
    matches,
    parse_partition_path,
    partition_path,
    safe_key,
)


def test_partition_path_is_canonical_and_hour_unpadded() -> None:
    assert partition_path({"hour": 7, "date": "2024-05-01"}) == "date=2024-05-01/hour=7"
    assert partition_path({"date": dt.date(2024, 5, 1), "hour": "07"}) == "date=2024-05-01/hour=7"
    assert partition_path({}) == ""


def test_parse_partition_path_accepts_padded_hours() -> None:
    assert parse_partition_path("/date=2024-05-01/hour=07/") == {"date": "2024-05-01", "hour": 7}


@pytest.mark.parametrize(
    "bad",
    [
        {"date": "2024-5-1"},
        {"date": "2024-02-30"},
        {"date": dt.datetime(2024, 5, 1, tzinfo=dt.UTC)},
        {"hour": 24},
        {"hour": -1},
        {"hour": True},
        {"region": "a/b"},
    ],
)
def test_bad_partition_values_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(LakeError):
        partition_path(bad)


def test_matches_a_partial_partition() -> None:
    part = {"date": "2024-05-01", "hour": 7}
    assert matches(part, {"date": "2024-05-01"})
    assert matches(part, {"hour": "7"})
    assert not matches(part, {"date": "2024-05-02"})


def test_file_names_derive_from_key_and_content() -> None:
    sha = "ab" * 32
    assert data_file_name("f1", 0, sha) == f"part-f1--0000-{'ab' * 8}.parquet"
    assert safe_key("topic/0:10-20") != "topic/0:10-20"
    assert len(safe_key("topic/0:10-20")) == 24
    assert safe_key("a--b") != "a--b"  # "--" separates key and sequence


def test_manifest_names_round_trip() -> None:
    assert manifest_generation(manifest_name(42)) == 42
    assert manifest_generation("part-x.parquet") is None
    assert manifest_generation("_manifest-x.json") is None


def test_join_keeps_the_root_slash() -> None:
    assert join("/lake", "", "bronze/x/", "/f") == "/lake/bronze/x/f"
    assert join("bucket/pre", "t") == "bucket/pre/t"


def test_merge_files_replaces_removes_and_sorts() -> None:
    a, b, b2, c = (
        FileEntry("a", "part-a", 1, 1, "s"),
        FileEntry("b", "part-b-old", 1, 1, "s"),
        FileEntry("b", "part-b-new", 2, 2, "t"),
        FileEntry("c", "part-c", 1, 1, "s"),
    )
    merged = merge_files([c, b, a], replace_all=False, remove_keys=["a"], add={"b": [b2]})
    assert merged == (b2, c)
    assert merge_files([a], replace_all=True, remove_keys=[], add={"c": [c]}) == (c,)


def test_manifest_json_is_deterministic_and_round_trips() -> None:
    manifest = Manifest(3, {"date": "2024-05-01", "hour": 7}, (FileEntry("k", "n", 5, 9, "s"),))
    assert to_json(manifest) == to_json(from_json(to_json(manifest), "m"))
    assert from_json(to_json(manifest), "m") == manifest
    with pytest.raises(LakeError, match="not a valid"):
        from_json(b'{"format": 99}', "m")


def test_chunks_cut_by_rows_whatever_the_batches() -> None:
    table = pa.table({"x": list(range(10)), "hour": [1] * 10})
    by_table = list(parquet.chunks(table, drop=["hour"], file_rows=4))
    by_batches = list(parquet.chunks(table.to_batches(max_chunksize=3), drop=["hour"], file_rows=4))
    assert [t.num_rows for t in by_table] == [4, 4, 2]
    assert [t.column_names for t in by_table] == [["x"]] * 3
    assert [parquet.encode(t).sha256 for t in by_table] == [
        parquet.encode(t).sha256 for t in by_batches
    ]


def test_encoded_bytes_depend_on_rows_not_on_chunking() -> None:
    n = 200_000  # several data pages per column: page boundaries must not follow the chunks
    table = pa.table({"t": list(range(n)), "s": [f"{i % 5000:06x}" for i in range(n)]})
    rechunked = pa.Table.from_batches(table.to_batches(max_chunksize=7_001))
    assert parquet.encode(table).sha256 == parquet.encode(rechunked).sha256
    sliced = pa.concat_tables([table.slice(0, 1000), table.slice(1000)])
    assert parquet.encode(table).sha256 == parquet.encode(sliced).sha256


def test_chunks_of_an_empty_iterator_need_a_schema() -> None:
    assert list(parquet.chunks(iter([]))) == []
    schema = pa.schema([("x", pa.int64())])
    (only,) = parquet.chunks(iter([]), schema=schema)
    assert only.num_rows == 0 and only.schema == schema


def test_encode_writes_snappy_with_statistics() -> None:
    import pyarrow.parquet as pq

    encoded = parquet.encode(pa.table({"x": list(range(100))}))
    meta = pq.ParquetFile(pa.BufferReader(encoded.buffer)).metadata
    column = meta.row_group(0).column(0)
    assert column.compression == "SNAPPY"
    assert column.statistics.min == 0 and column.statistics.max == 99
