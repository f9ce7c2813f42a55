"""Property: any bytes fed to the files source give canonical batches or CorruptInput, nothing else."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aerolake.errors import CorruptInput
from aerolake.schema import OPENSKY_FIELDS, STATE_SCHEMA
from aerolake.sources.files import FilesSource, rebatch, write_opensky_file

FORMATS = ["csv", "csv.gz", "csv.tar", "parquet"]
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def valid_bytes(fmt: str) -> bytes:
    """A small valid file in ``fmt``, written by our writer."""
    table = pa.Table.from_pylist(
        [
            {
                "time": 1654473600 + 10 * i,
                "icao24": f"{i:06x}",
                "lat": 10.0 + i,
                "lon": 70.5,
                "velocity": 200.25,
                "onground": i % 2 == 0,
                "alert": False,
                "spi": False,
                "squawk": "0042",
                "callsign": "AIC101  ",
                "lastcontact": 1654473600.5,
            }
            for i in range(40)
        ],
        schema=pa.schema(OPENSKY_FIELDS),
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = write_opensky_file(table, Path(tmp) / f"s.{fmt}", fmt)  # type: ignore[arg-type]
        return path.read_bytes()


def read_or_corrupt(data: bytes, fmt: str) -> Iterator[pa.RecordBatch]:
    """Read ``data`` as a file of ``fmt``; CorruptInput is an allowed outcome."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"states_2022-06-06-00.{fmt}"
        path.write_bytes(data)
        try:
            yield from FilesSource([path], batch_rows=16).read_file(path)
        except CorruptInput as exc:
            assert exc.path == str(path)


def check(data: bytes, fmt: str) -> None:
    for batch in read_or_corrupt(data, fmt):
        assert batch.schema == STATE_SCHEMA
        assert 0 < batch.num_rows <= 16


@st.composite
def mutated(draw: st.DrawFn, fmt: str) -> bytes:
    data = bytearray(valid_bytes(fmt))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[at : at + draw(st.integers(1, 64))]
    return bytes(data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_valid_fixture_reads(fmt: str) -> None:
    rows = sum(b.num_rows for b in read_or_corrupt(valid_bytes(fmt), fmt))
    assert rows == 40


@pytest.mark.parametrize("fmt", FORMATS)
@PROPERTY
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes(fmt: str, data: bytes) -> None:
    check(data, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@PROPERTY
@given(data=st.data())
def test_mutated_valid_files(fmt: str, data: st.DataObject) -> None:
    check(data.draw(mutated(fmt)), fmt)


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 50), max_size=20),
    max_rows=st.integers(1, 40),
)
def test_rebatch_keeps_rows_in_order_in_full_batches(sizes: list[int], max_rows: int) -> None:
    batches = []
    start = 0
    for n in sizes:
        batches.append(pa.record_batch([pa.array(range(start, start + n))], names=["x"]))
        start += n
    out = list(rebatch(batches, max_rows))
    assert [v for b in out for v in b.column(0).to_pylist()] == list(range(start))
    assert all(b.num_rows == max_rows for b in out[:-1])
    assert all(0 < b.num_rows <= max_rows for b in out)
