"""The binary COPY encoder, decoded back by a small reference parser written from the docs."""

from __future__ import annotations

import datetime as dt
import struct

import numpy as np
import pyarrow as pa
import pytest

from aerolake.serving.pgbinary import HEADER, TRAILER, copy_order, encode_batch

PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def decode(payload: bytes, kinds: list[str]) -> list[list[object]]:
    rows, pos = [], 0
    while pos < len(payload):
        (count,) = struct.unpack_from(">h", payload, pos)
        pos += 2
        assert count == len(kinds)
        row: list[object] = []
        for kind in kinds:
            (length,) = struct.unpack_from(">i", payload, pos)
            pos += 4
            if length == -1:
                row.append(None)
                continue
            raw = payload[pos : pos + length]
            pos += length
            if kind == "text":
                row.append(raw.decode())
            elif kind == "int8":
                row.append(struct.unpack(">q", raw)[0])
            elif kind == "int4":
                row.append(struct.unpack(">i", raw)[0])
            elif kind == "int2":
                row.append(struct.unpack(">h", raw)[0])
            elif kind == "float4":
                row.append(struct.unpack(">f", raw)[0])
            elif kind == "float8":
                row.append(struct.unpack(">d", raw)[0])
            elif kind == "bool":
                row.append(raw == b"\x01")
            elif kind == "date":
                row.append(PG_EPOCH.date() + dt.timedelta(days=struct.unpack(">i", raw)[0]))
            elif kind == "timestamptz":
                row.append(PG_EPOCH + dt.timedelta(microseconds=struct.unpack(">q", raw)[0]))
        rows.append(row)
    return rows


def test_round_trip_with_nulls_in_every_type() -> None:
    ts = dt.datetime(2024, 6, 1, 12, 30, 5, 250, tzinfo=dt.UTC)
    table = pa.table(
        {
            "s": pa.array(["ab", None, "", "ünï"]),
            "i8": pa.array([1, -2, None, 2**40], pa.int64()),
            "i4": pa.array([None, 7, -7, 0], pa.int32()),
            "f": pa.array([0.1, None, -1e300, 3.5]),
            "b": pa.array([True, False, None, True]),
            "d": pa.array([dt.date(1999, 12, 31), None, dt.date(2024, 6, 1), None]),
            "t": pa.array([ts, None, None, PG_EPOCH], pa.timestamp("us", tz="UTC")),
        }
    )
    kinds = ["text", "int8", "int4", "float8", "bool", "date", "timestamptz"]
    decoded = decode(encode_batch(table.to_batches()[0]).to_pybytes(), kinds)
    expected = [list(r.values()) for r in table.to_pylist()]
    assert decoded == expected


def test_sliced_batches_encode_only_their_rows() -> None:
    table = pa.table({"s": pa.array([f"row{i}" for i in range(10)]), "n": pa.array(range(10))})
    part = table.slice(3, 4).to_batches()[0]
    assert decode(encode_batch(part).to_pybytes(), ["text", "int8"]) == [
        [f"row{i}", i] for i in range(3, 7)
    ]


def test_header_and_trailer_follow_the_documented_layout() -> None:
    assert HEADER[:11] == b"PGCOPY\n\xff\r\n\x00" and len(HEADER) == 19
    assert struct.pack(">h", -1) == TRAILER


def test_copy_order_puts_null_free_fixed_width_columns_first() -> None:
    table = pa.table(
        {
            "s": pa.array(["a", "b"]),
            "f_null": pa.array([1.0, None]),
            "i": pa.array([1, 2], pa.int32()),
            "b": pa.array([True, False]),
        }
    )
    assert copy_order(table) == ["i", "b", "s", "f_null"]


def test_reordered_columns_round_trip_across_many_record_chunks() -> None:
    # More rows than one fill chunk, NULLs scattered, several widths: every chunk boundary
    # and every block/piece boundary is crossed.
    n = 3_000
    i = np.arange(n)
    table = pa.table(
        {
            "s": pa.array([None if k % 7 == 0 else f"v{k}" for k in range(n)]),
            "i2": pa.array(i % 30_000 - 15_000, pa.int16()),
            "f4": pa.array(i * 0.5, pa.float32()),
            "f8": pa.array([None if k % 5 == 0 else k * 1.25 for k in range(n)]),
            "t": pa.array(i * 1_000_003, pa.timestamp("us", tz="UTC")),
            "b": pa.array(i % 3 == 0),
            "u": pa.array([f"é{k}" for k in range(n)]),
        }
    )
    order = copy_order(table)
    assert order[:4] == ["i2", "f4", "t", "b"]
    kinds = {"s": "text", "u": "text", "i2": "int2", "f4": "float4", "f8": "float8"}
    kinds |= {"t": "timestamptz", "b": "bool"}
    decoded = decode(
        encode_batch(table.select(order).to_batches()[0]).to_pybytes(), [kinds[c] for c in order]
    )
    assert decoded == [[r[c] for c in order] for r in table.to_pylist()]


def test_empty_batch_encodes_to_nothing() -> None:
    schema = pa.schema({"s": pa.string(), "n": pa.int64()})
    assert encode_batch(pa.RecordBatch.from_pylist([], schema=schema)).to_pybytes() == b""


def test_unsupported_type_is_refused() -> None:
    batch = pa.record_batch({"l": pa.array([[1, 2]], pa.list_(pa.int64()))})
    with pytest.raises(TypeError, match="list"):
        encode_batch(batch)
