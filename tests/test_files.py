"""The files source: OpenSky states files in every format, corrupt files failing alone."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import logging
import tarfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aerolake.errors import ConfigError, CorruptInput
from aerolake.schema import OPENSKY_COLUMNS, STATE_SCHEMA
from aerolake.sources.files import (
    FilesSource,
    batch_id_for,
    file_checksum,
    rebatch,
    resolve_inputs,
)

HEADER = ",".join(OPENSKY_COLUMNS)
# Rows as OpenSky writes them: unquoted, True/False, empty for null, padded callsign.
ROWS = [
    "1654473600,000123,48.1234,11.5678,231.5,87.3,0.0,DLH4AB  ,False,False,False,0042,10972.8,11277.6,1654473599.123,1654473599.9",
    "1654473600,3c6444,,,,,,,True,false,0,,,,,1654473598.0",
    "1654473610,a0b1c2,-33.9,151.2,0.0,359.99,-5.2,QFA1    ,true,1,False,7700,-10.5,12.0,1654473609.5,1654473610.0",
]
NOW = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)


def csv_bytes(rows: list[str] = ROWS, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def write_gz(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data, mtime=0))
    return path


def write_tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def read_all(path: Path, **kwargs: object) -> pa.Table:
    source = FilesSource([path], ingested_at=NOW, **kwargs)  # type: ignore[arg-type]
    return pa.Table.from_batches(list(source.read_file(path)), schema=STATE_SCHEMA)


def many_rows(n: int, start: int = 1654473600) -> list[str]:
    return [
        f"{start + i},{i % 0xFFFFFF:06x},1.0,2.0,3.0,4.0,0.0,AIC{i % 999:<5d},False,False,False,1234,100.0,110.0,{start + i - 1}.5,{start + i}.0"
        for i in range(n)
    ]


# --- formats ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "csv.tar", "parquet"])
def test_every_format_reads_the_same_rows(tmp_path: Path, fmt: str) -> None:
    data = csv_bytes()
    path = tmp_path / f"states_2022-06-06-00.{fmt}"
    if fmt == "csv":
        path.write_bytes(data)
    elif fmt == "csv.gz":
        write_gz(path, data)
    elif fmt == "csv.tar":
        # OpenSky's tars hold the gz beside a README and a LICENSE.
        write_tar(
            path,
            {
                "README.txt": b"read me",
                "states_2022-06-06-00.csv.gz": gzip.compress(data),
                "LICENSE.txt": b"licence",
            },
        )
    else:
        pq.write_table(read_all(_plain(tmp_path, data)).select(list(OPENSKY_COLUMNS)), path)
    table = read_all(path)
    assert table.schema == STATE_SCHEMA
    assert table.column("icao24").to_pylist() == ["000123", "3c6444", "a0b1c2"]
    assert table.column("squawk").to_pylist() == ["0042", None, "7700"]
    assert table.column("callsign").to_pylist() == ["DLH4AB  ", None, "QFA1    "]
    assert table.column("onground").to_pylist() == [False, True, True]
    assert table.column("alert").to_pylist() == [False, False, True]
    assert table.column("spi").to_pylist() == [False, False, False]
    assert table.column("lat").to_pylist() == [48.1234, None, -33.9]
    assert table.column("baroaltitude").to_pylist() == [10972.8, None, -10.5]
    assert table.column("lastposupdate").to_pylist() == [1654473599.123, None, 1654473609.5]
    assert table.column("time").to_pylist() == [1654473600, 1654473600, 1654473610]
    assert set(table.column("source").to_pylist()) == {"files"}
    assert table.column("origin_country").null_count == 3
    assert set(table.column("ingested_at").to_pylist()) == {NOW}


def _plain(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "plain" / "states.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


def test_parquet_with_columns_in_any_order_and_other_types_is_cast(tmp_path: Path) -> None:
    table = read_all(_plain(tmp_path, csv_bytes())).select(list(reversed(OPENSKY_COLUMNS)))
    table = table.set_column(
        table.schema.get_field_index("time"), "time", table.column("time").cast(pa.int32())
    ).append_column("origin_country", pa.array(["Germany", None, "Australia"]))
    path = tmp_path / "shuffled.parquet"
    pq.write_table(table, path)
    out = read_all(path)
    assert out.schema == STATE_SCHEMA
    assert out.column("time").to_pylist() == [1654473600, 1654473600, 1654473610]
    assert out.column("origin_country").to_pylist() == ["Germany", None, "Australia"]


def test_csv_origin_country_is_kept_and_unknown_columns_ignored(tmp_path: Path) -> None:
    header = HEADER + ",origin_country,serials"
    rows = [r + ",Germany,[1 2]" for r in ROWS]
    out = read_all(_plain(tmp_path, csv_bytes(rows, header)))
    assert out.column("origin_country").to_pylist() == ["Germany"] * 3
    assert "serials" not in out.schema.names


def test_dot_prefixed_tar_without_csv_member_is_zero_rows_and_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_tar(tmp_path / "states_.2017-06-05-00.csv.tar", {"README.txt": b"nothing"})
    good = _plain(tmp_path, csv_bytes())
    source = FilesSource([path, good], ingested_at=NOW)
    with caplog.at_level(logging.WARNING):
        rows = sum(b.num_rows for b in source.batches())
    assert rows == len(ROWS)
    assert source.failures == []
    assert [s.path for s in source.skipped] == [path.resolve()]
    assert "no CSV member" in caplog.text


def test_compressed_tar_and_plain_csv_member_are_read(tmp_path: Path) -> None:
    path = tmp_path / "states_2022-06-06-00.csv.tar"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in {"README.txt": b"x", "s.csv": csv_bytes()}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert read_all(path).column("icao24").to_pylist() == ["000123", "3c6444", "a0b1c2"]


def test_empty_archives_are_zero_rows_too(tmp_path: Path) -> None:
    write_tar(tmp_path / "states_.2017-06-12-00.csv.tar", {})
    zero_bytes = tmp_path / "states_.2017-06-19-00.csv.tar"
    zero_bytes.write_bytes(b"")
    source = FilesSource([tmp_path], ingested_at=NOW)
    assert list(source.batches()) == []
    assert source.failures == []
    assert len(source.skipped) == 2


def test_windows_line_endings_and_quoted_fields(tmp_path: Path) -> None:
    data = csv_bytes().replace(b"\n", b"\r\n").replace(b"DLH4AB  ", b'"DLH4AB  "')
    table = read_all(_plain(tmp_path, data))
    assert table.column("callsign").to_pylist() == ["DLH4AB  ", None, "QFA1    "]
    assert table.column("lastcontact").to_pylist() == [1654473599.9, 1654473598.0, 1654473610.0]


# --- inputs -------------------------------------------------------------------------------------


def test_directories_are_scanned_recursively_and_globs_expand(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    one = tmp_path / "a" / "states_2022-06-06-00.csv"
    two = tmp_path / "a" / "b" / "states_2022-06-06-01.csv.gz"
    one.write_bytes(csv_bytes())
    write_gz(two, csv_bytes())
    (tmp_path / "a" / "README.md").write_text("not data")
    (tmp_path / "a" / ".states_2022-06-06-02.csv.tmp").write_text("partial write")
    (tmp_path / "a" / ".hidden").mkdir()
    (tmp_path / "a" / ".hidden" / "x.csv").write_bytes(csv_bytes())
    assert resolve_inputs([tmp_path]) == sorted([one.resolve(), two.resolve()])
    assert resolve_inputs([f"{tmp_path}/**/*.csv.gz"]) == [two.resolve()]
    assert resolve_inputs([one, tmp_path / "a"]) == sorted([one.resolve(), two.resolve()])
    source = FilesSource(str(tmp_path), ingested_at=NOW)
    assert sum(b.num_rows for b in source.batches()) == 2 * len(ROWS)


def test_explicit_unsupported_or_missing_file_is_an_error(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("x")
    with pytest.raises(ConfigError, match="not a states file"):
        FilesSource([readme]).files()
    with pytest.raises(ConfigError, match="no such file"):
        FilesSource([tmp_path / "missing.csv"]).files()
    assert FilesSource([f"{tmp_path}/*.csv"]).files() == []


# --- provenance and batching --------------------------------------------------------------------


def test_batch_id_comes_from_content_and_name(tmp_path: Path) -> None:
    a = _plain(tmp_path, csv_bytes())
    b = tmp_path / "copy.csv"
    b.write_bytes(csv_bytes())
    assert file_checksum(a) == hashlib.sha256(csv_bytes()).hexdigest()
    ids_a = set(read_all(a).column("batch_id").to_pylist())
    assert ids_a == {batch_id_for(a.name, file_checksum(a))}
    assert set(read_all(a).column("batch_id").to_pylist()) == ids_a  # a replay: same id
    assert set(read_all(b).column("batch_id").to_pylist()) != ids_a  # another name
    given = FilesSource([a]).read_file(a, checksum="0" * 64)
    assert {b.column("batch_id")[0].as_py() for b in given} == {batch_id_for(a.name, "0" * 64)}
    a.write_bytes(csv_bytes(ROWS[:2]))
    assert set(read_all(a).column("batch_id").to_pylist()) != ids_a  # other content


def test_batches_hold_at_most_batch_rows(tmp_path: Path) -> None:
    path = write_gz(tmp_path / "big.csv.gz", csv_bytes(many_rows(25_000)))
    source = FilesSource([path], batch_rows=10_000, ingested_at=NOW)
    sizes = [b.num_rows for b in source.batches()]
    assert sizes == [10_000, 10_000, 5_000]


def test_rebatch_splits_and_coalesces() -> None:
    def batch(n: int) -> pa.RecordBatch:
        return pa.record_batch([pa.array(range(n))], names=["x"])

    out = list(rebatch([batch(3), batch(0), batch(4), batch(10)], 5))
    assert [b.num_rows for b in out] == [5, 5, 5, 2]
    assert pa.Table.from_batches(out).column("x").to_pylist() == [
        *range(3),
        *range(4),
        *range(10),
    ]


def test_wall_clock_ingested_at_is_utc_and_naive_stamp_rejected(tmp_path: Path) -> None:
    path = _plain(tmp_path, csv_bytes())
    before = dt.datetime.now(dt.UTC)
    stamps = pa.Table.from_batches(list(FilesSource([path]).batches())).column("ingested_at")
    assert all(before <= s <= dt.datetime.now(dt.UTC) for s in stamps.to_pylist())
    with pytest.raises(ConfigError):
        FilesSource([path], ingested_at=dt.datetime(2024, 1, 1))  # noqa: DTZ001


# --- corrupt files fail alone -------------------------------------------------------------------


def _corrupt_cases(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (path, expected position fragment)."""
    gz = gzip.compress(csv_bytes(many_rows(20_000)))
    truncated = tmp_path / "truncated.csv.gz"
    truncated.write_bytes(gz[: len(gz) // 2])
    bad_row = tmp_path / "bad_row.csv"
    bad_row.write_bytes(csv_bytes([*many_rows(12_000), "1654473600,abc,1.0"]))
    bad_value = tmp_path / "bad_value.csv"
    bad_value.write_bytes(csv_bytes([*ROWS, ROWS[0].replace("48.1234", "north")]))
    bad_utf8 = tmp_path / "bad_utf8.csv"
    bad_utf8.write_bytes(csv_bytes().replace(b"QFA1", b"QF\xff1"))
    wrong_header = tmp_path / "wrong_header.csv"
    wrong_header.write_bytes(csv_bytes(header=HEADER.replace("lat,lon", "latitude,longitude")))
    empty = tmp_path / "empty.csv.gz"
    empty.write_bytes(b"")
    cut_tar = write_tar(tmp_path / "cut.csv.tar", {"s.csv.gz": gz})
    cut_tar.write_bytes(cut_tar.read_bytes()[: len(gz) // 3])
    bad_parquet = tmp_path / "bad.parquet"
    bad_parquet.write_bytes(b"PAR1 this is not parquet PAR1")
    return {
        "truncated gzip": (truncated, "byte"),
        "malformed row": (bad_row, "line 12002"),
        "bad value": (bad_value, "line 5"),
        "invalid UTF-8": (bad_utf8, "line 4"),
        "wrong header": (wrong_header, "line 1"),
        "empty gzip": (empty, "line 1"),
        "truncated tar": (cut_tar, "byte"),
        "corrupt parquet": (bad_parquet, "row 0"),
    }


def test_each_corrupt_file_fails_alone_with_name_and_position(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cases = _corrupt_cases(tmp_path)
    good = [_plain(tmp_path, csv_bytes()), write_gz(tmp_path / "good.csv.gz", csv_bytes())]
    source = FilesSource([tmp_path], ingested_at=NOW)
    with caplog.at_level(logging.WARNING):
        batches = list(source.batches())
    by_path = {f.path.name: f for f in source.failures}
    assert sorted(by_path) == sorted(p.name for p, _ in cases.values())
    for name, (path, position) in cases.items():
        failure = by_path[path.name]
        assert failure.position is not None and position in failure.position, (name, failure)
        assert path.name in failure.message
        assert path.name in caplog.text
    # every row of the good files arrived, plus whatever a corrupt file yielded before failing
    good_ids = {batch_id_for(p.name, file_checksum(p)) for p in good}
    good_rows = sum(b.num_rows for b in batches if b.column("batch_id")[0].as_py() in good_ids)
    assert good_rows == 2 * len(ROWS)


def test_read_file_raises_corrupt_input_with_line(tmp_path: Path) -> None:
    cases = _corrupt_cases(tmp_path)
    path, _ = cases["bad value"]
    with pytest.raises(CorruptInput) as info:
        list(FilesSource([path]).read_file(path))
    assert info.value.path == str(path)
    assert info.value.position == "line 5"


def test_iter_files_lets_the_consumer_discard_a_file_that_fails_late(tmp_path: Path) -> None:
    # A bad row after ~1.5 MiB of good ones: batches come out before the failure is found.
    late = _plain(tmp_path, csv_bytes([*many_rows(12_000), "oops"]))
    good = write_gz(tmp_path / "good.csv.gz", csv_bytes())
    source = FilesSource([late, good], batch_rows=1_000, ingested_at=NOW)
    committed: dict[str, int] = {}
    yielded_before_failure = 0
    for path, batches in source.iter_files():
        staged = 0
        try:
            for batch in batches:
                staged += batch.num_rows
        except CorruptInput:
            yielded_before_failure = staged
            continue  # the stage is thrown away
        committed[path.name] = staged
    assert committed == {good.name: len(ROWS)}
    assert yielded_before_failure > 0
    assert [f.path for f in source.failures] == [late.resolve()]
