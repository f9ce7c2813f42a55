"""The OpenSky file writer: exact format, atomic and deterministic writes, lossless roundtrip."""

from __future__ import annotations

import datetime as dt
import gzip
import tarfile
from pathlib import Path

import pyarrow as pa
import pytest

from aerolake.schema import OPENSKY_COLUMNS, OPENSKY_FIELDS
from aerolake.sources import files_write
from aerolake.sources.files import FilesSource, opensky_filename, write_opensky_file

HOUR = dt.datetime(2022, 6, 6, 13, 42, tzinfo=dt.UTC)


def sample() -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "time": 1654473600,
                "icao24": "000123",
                "lat": 48.1234,
                "lon": 11.5678,
                "velocity": 231.5,
                "heading": 87.3,
                "vertrate": 0.0,
                "callsign": "DLH4AB  ",
                "onground": False,
                "alert": False,
                "spi": True,
                "squawk": "0042",
                "baroaltitude": 10972.8,
                "geoaltitude": 1 / 3,
                "lastposupdate": 1654473599.123,
                "lastcontact": 1654473599.9,
            },
            {"time": 1654473610, "icao24": "3c6444", "onground": True},
        ],
        schema=pa.schema(OPENSKY_FIELDS),
    )


def test_opensky_filename() -> None:
    assert opensky_filename(HOUR, "csv.tar") == "states_2022-06-06-13.csv.tar"
    assert opensky_filename(HOUR, "parquet") == "states_2022-06-06-13.parquet"
    ist = dt.timezone(dt.timedelta(hours=5, minutes=30))
    assert opensky_filename(HOUR.astimezone(ist), "csv.gz") == "states_2022-06-06-13.csv.gz"
    with pytest.raises(ValueError, match="timezone-aware"):
        opensky_filename(dt.datetime(2022, 6, 6), "csv")  # noqa: DTZ001


def test_csv_text_is_exactly_opensky(tmp_path: Path) -> None:
    path = write_opensky_file(sample(), tmp_path / "states_2022-06-06-13.csv", "csv")
    assert path.read_text().splitlines() == [
        ",".join(OPENSKY_COLUMNS),
        "1654473600,000123,48.1234,11.5678,231.5,87.3,0,DLH4AB  ,False,False,True,0042,"
        "10972.8,0.3333333333333333,1654473599.123,1654473599.9",
        "1654473610,3c6444,,,,,,,True,,,,,,,",
    ]


def test_tar_holds_the_gz_named_like_opensky(tmp_path: Path) -> None:
    for name in ("states_2022-06-06-13.csv.tar", "states_.2017-06-05-00.csv.tar"):
        path = write_opensky_file(sample(), tmp_path / name, "csv.tar")
        with tarfile.open(path) as tar:
            (member,) = tar.getmembers()
            assert member.name == name.removesuffix(".tar") + ".gz"
            assert member.mtime == 1654473610
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
        assert gzip.decompress(data).startswith(b"time,icao24,lat,")


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "csv.tar", "parquet"])
def test_roundtrip_is_lossless(tmp_path: Path, fmt: files_write.WriteFormat) -> None:
    table = sample()
    path = write_opensky_file(table, tmp_path / opensky_filename(HOUR, fmt), fmt)
    read = pa.Table.from_batches(list(FilesSource([path]).batches()))
    assert read.select(list(OPENSKY_COLUMNS)).equals(table)


def test_roundtrip_of_awkward_values(tmp_path: Path) -> None:
    table = pa.Table.from_pylist(
        [
            {"time": 0, "icao24": "ffffff", "callsign": 'A,"B"', "lat": 1e-300, "lon": -0.0},
            {"time": 2**40, "icao24": "000000", "callsign": "", "lat": 89.99999999999999},
        ],
        schema=pa.schema(OPENSKY_FIELDS),
    )
    for fmt in ("csv", "csv.gz"):
        path = write_opensky_file(table, tmp_path / f"x.{fmt}", fmt)
        read = pa.Table.from_batches(list(FilesSource([path]).batches()))
        got = read.select(list(OPENSKY_COLUMNS)).to_pylist()
        want = table.to_pylist()
        want[1]["callsign"] = None  # OpenSky files cannot tell an empty string from null
        assert got == want


def test_writes_are_deterministic_and_leave_no_temporary_files(tmp_path: Path) -> None:
    for fmt in ("csv", "csv.gz", "csv.tar", "parquet"):
        a = write_opensky_file(sample(), tmp_path / "a" / f"s.{fmt}", fmt)  # type: ignore[arg-type]
        b = write_opensky_file(sample(), tmp_path / "b" / f"s.{fmt}", fmt)  # type: ignore[arg-type]
        assert a.read_bytes() == b.read_bytes(), fmt
    assert not [p for p in tmp_path.rglob(".*")]


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_opensky_file(sample(), tmp_path / "s.csv.gz", "csv.gz")
    before = path.read_bytes()

    def broken(data: pa.Table, out: files_write.BinarySink) -> None:
        out.write(b"time,ica")
        raise OSError("disk full")

    monkeypatch.setattr(files_write, "write_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        write_opensky_file(sample(), path, "csv.gz")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.csv.gz"]


def test_bad_arguments_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not end with"):
        write_opensky_file(sample(), tmp_path / "s.csv", "csv.gz")
    with pytest.raises(ValueError, match="missing"):
        write_opensky_file(sample().drop_columns(["squawk"]), tmp_path / "s.csv", "csv")
