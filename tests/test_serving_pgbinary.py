"""The binary COPY encoder, decoded back by a small reference parser written from the docs."""

from __future__ import annotations

import datetime as dt
import struct

import pyarrow as pa

from aerolake.serving.pgbinary import HEADER, TRAILER, encode_batch

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
