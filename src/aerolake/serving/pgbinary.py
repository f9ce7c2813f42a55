"""Arrow record batches -> PostgreSQL binary COPY tuples, vectorised (pure, no database).

Format (PostgreSQL docs, "COPY ... BINARY"): a header, then per row an int16 field count and per
field an int32 byte length (-1 = NULL) followed by the value in network byte order; then an
int16 -1 trailer. Values: bool 1 byte; int2/int4/int8; float4/float8 IEEE; text UTF-8;
date = int32 days since 2000-01-01; timestamptz = int64 microseconds since 2000-01-01 UTC.

How: every byte whose position within the row is fixed (the field count, every length word,
the values of fixed-width columns without NULLs) is written column by column into a numpy
structured array, one record per row; only variable-width values (text, and fixed-width values
of columns that hold NULLs) stay separate pieces. Arrow's C++ ``binary_join_element_wise`` then
lays out each row as its pieces in order. :func:`copy_order` puts the NULL-free fixed-width
columns first, so they form one block and a row has about two pieces per variable column.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HEADER: Final[bytes] = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER: Final[bytes] = b"\xff\xff"

_PG_EPOCH_DAYS: Final[int] = 10_957  # 2000-01-01 - 1970-01-01
_PG_EPOCH_US: Final[int] = _PG_EPOCH_DAYS * 86_400 * 1_000_000
#: Records filled at a time (about 0.5 MB for a 60-column table: stays in the CPU cache).
_CHUNK_ROWS: Final[int] = 1_024
_JOIN: Final = pc.JoinOptions(null_handling="replace", null_replacement="")


def copy_order(data: pa.Table | pa.RecordBatch) -> list[str]:
    """Column names, fixed-width columns without NULLs first (fastest to encode).

    Any order is correct as long as the COPY statement lists the columns in that order.
    """
    fixed = [
        name
        for name, column in zip(data.column_names, data.columns, strict=True)
        if _width(column.type) and column.null_count == 0
    ]
    chosen = set(fixed)
    return fixed + [name for name in data.column_names if name not in chosen]


def encode_batch(batch: pa.RecordBatch) -> pa.Buffer:
    """The tuples of ``batch`` (no header or trailer), ready for ``COPY ... (FORMAT binary)``.

    Columns must already have their serving types (see :mod:`.conform`); timestamps are UTC.
    Raises TypeError for a type with no encoding here.
    """
    n = batch.num_rows
    if n == 0:
        return pa.py_buffer(b"")
    pieces: list[pa.Array] = []
    block = _Block(n)
    block.add(">i2", batch.num_columns)
    for column in batch.columns:
        width = _width(column.type)
        if width is None:
            raise TypeError(f"no binary COPY encoding for Arrow type {column.type}")
        if width and column.null_count == 0:
            block.add(">i4", width)
            block.add(*_fixed_values(column))
            continue
        lengths, payload = _variable(column, width)
        block.add(">i4", lengths)
        pieces += [block.finish(), payload]
        block = _Block(n)
    if block.formats:
        pieces.append(block.finish())
    rows = (
        pieces[0] if len(pieces) == 1 else pc.binary_join_element_wise(*pieces, b"", options=_JOIN)
    )
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)
    start, end = int(offsets[rows.offset]), int(offsets[rows.offset + len(rows)])
    return rows.buffers()[2].slice(start, end - start)


class _Block:
    """Fixed-width fields of every row, written column-wise into one numpy record per row."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.formats: list[str] = []
        self.values: list[np.ndarray | int] = []

    def add(self, fmt: str, values: np.ndarray | int) -> None:
        self.formats.append(fmt)
        self.values.append(values)

    def finish(self) -> pa.Array:
        """A binary array with one value per row: its fields, packed, in order."""
        if len(self.formats) == 1 and not isinstance(self.values[0], int):
            packed = np.ascontiguousarray(self.values[0].astype(self.formats[0]))
            return _binary(packed.view(np.uint8), packed.itemsize, self.rows)
        names = [f"f{i}" for i in range(len(self.formats))]
        record = np.dtype({"names": names, "formats": self.formats})  # packed: no padding
        packed = np.empty(self.rows, dtype=record)
        # Row chunks that stay in cache: each field is a strided write across every record.
        for start in range(0, self.rows, _CHUNK_ROWS):
            part = packed[start : start + _CHUNK_ROWS]
            for name, values in zip(names, self.values, strict=True):
                part[name] = (
                    values if isinstance(values, int) else values[start : start + _CHUNK_ROWS]
                )
        return _binary(packed.view(np.uint8), record.itemsize, self.rows)


def _binary(data: np.ndarray, width: int, rows: int) -> pa.Array:
    """``rows`` binary values of ``width`` bytes each, over ``data`` (zero copy)."""
    offsets = np.arange(0, (rows + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.binary(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def _width(typ: pa.DataType) -> int | None:
    """Bytes of one value; 0 for variable width (text); None if there is no encoding."""
    if pa.types.is_string(typ) or pa.types.is_binary(typ):
        return 0
    if pa.types.is_large_string(typ) or pa.types.is_large_binary(typ):
        return 0
    if pa.types.is_boolean(typ):
        return 1
    if pa.types.is_date32(typ):
        return 4
    if pa.types.is_timestamp(typ):
        return 8
    if pa.types.is_integer(typ) or pa.types.is_floating(typ):
        return int(typ.bit_width // 8)
    return None


def _fixed_values(column: pa.Array) -> tuple[str, np.ndarray]:
    """(big-endian numpy format, values) of a fixed-width column; NULLs read as 0."""
    typ = column.type
    if pa.types.is_boolean(typ):
        values = np.asarray(pc.fill_null(column, False).to_numpy(zero_copy_only=False))
        return "u1", values
    if pa.types.is_date32(typ):
        days = pc.fill_null(column.cast(pa.int32()), 0).to_numpy()
        return ">i4", days - np.int32(_PG_EPOCH_DAYS)
    if pa.types.is_timestamp(typ):
        micros = pc.fill_null(column.cast(pa.timestamp("us", tz=typ.tz)).cast(pa.int64()), 0)
        return ">i8", micros.to_numpy() - np.int64(_PG_EPOCH_US)
    values = pc.fill_null(column, 0).to_numpy()
    return values.dtype.newbyteorder(">").str, values


def _variable(column: pa.Array, width: int) -> tuple[np.ndarray, pa.Array]:
    """(length words with -1 for NULL, payload piece) of a text or NULL-holding column."""
    if width == 0:
        payload = column.cast(pa.binary())
        lengths = pc.fill_null(pc.binary_length(payload), -1).to_numpy()
        return lengths.astype(np.int32, copy=False), payload
    fmt, values = _fixed_values(column)
    valid = np.asarray(column.is_valid().to_numpy(zero_copy_only=False))
    data = np.ascontiguousarray(values[valid].astype(fmt)).view(np.uint8)
    offsets = np.zeros(len(column) + 1, dtype=np.int32)
    np.cumsum(valid * np.int32(width), out=offsets[1:])
    payload = pa.Array.from_buffers(
        pa.binary(), len(column), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    return np.where(valid, np.int32(width), np.int32(-1)), payload
