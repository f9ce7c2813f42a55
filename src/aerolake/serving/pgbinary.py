"""Arrow record batches -> PostgreSQL binary COPY tuples, vectorised (pure, no database).

Format (PostgreSQL docs, "COPY ... BINARY"): a header, then per row an int16 field count and per
field an int32 byte length (-1 = NULL) followed by the value in network byte order; then an
int16 -1 trailer. Values: bool 1 byte; int4/int8; float8 IEEE; text UTF-8; date = int32 days
since 2000-01-01; timestamptz = int64 microseconds since 2000-01-01 UTC. Each field is encoded
column-wise with numpy, then Arrow's C++ ``binary_join_element_wise`` lays the rows out.
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


def encode_batch(batch: pa.RecordBatch) -> pa.Buffer:
    """The tuples of ``batch`` (no header or trailer), ready for ``COPY ... (FORMAT binary)``.

    Columns must already have their serving types (see :mod:`.conform`).
    """
    count = np.array([batch.num_columns], dtype=">i2").tobytes()
    fields = [pa.array([count] * batch.num_rows, pa.binary())]
    for column in batch.columns:
        fields += _encode_column(column)
    rows = pc.binary_join_element_wise(*fields, b"")
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)
    start, end = int(offsets[rows.offset]), int(offsets[rows.offset + len(rows)])
    return rows.buffers()[2].slice(start, end - start)


def _encode_column(array: pa.Array) -> list[pa.Array]:
    """The column's fields as one or two binary arrays to be joined row-wise (length, value)."""
    typ = array.type
    valid = _valid_mask(array)
    if pa.types.is_string(typ) or pa.types.is_binary(typ):
        text = pc.fill_null(array.cast(pa.binary()), b"")
        lengths = pc.binary_length(text).to_numpy(zero_copy_only=False).astype(">i4")
        lengths[~valid] = -1
        return [_fixed(lengths.view(np.uint8), 4), text]
    if pa.types.is_boolean(typ):
        values = np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False))
        payload = values.astype(np.uint8).reshape(-1, 1)
    elif pa.types.is_date32(typ):
        days = pc.fill_null(array.cast(pa.int32()), 0).to_numpy() - _PG_EPOCH_DAYS
        payload = days.astype(">i4").view(np.uint8).reshape(-1, 4)
    elif pa.types.is_timestamp(typ):
        micros = pc.fill_null(array.cast(pa.int64()), 0).to_numpy() - _PG_EPOCH_US
        payload = micros.astype(">i8").view(np.uint8).reshape(-1, 8)
    elif pa.types.is_integer(typ) or pa.types.is_floating(typ):
        values = pc.fill_null(array, 0).to_numpy()
        payload = values.astype(values.dtype.newbyteorder(">")).view(np.uint8)
        payload = payload.reshape(-1, values.dtype.itemsize)
    else:
        raise TypeError(f"no binary COPY encoding for Arrow type {typ}")
    return [_fixed_fields(payload, valid)]


def _valid_mask(array: pa.Array) -> np.ndarray:
    if array.null_count == 0:
        return np.ones(len(array), dtype=bool)
    return np.asarray(array.is_valid().to_numpy(zero_copy_only=False))


def _fixed_fields(payload: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Length-prefixed fixed-width fields; NULL rows become just the -1 length."""
    n, width = payload.shape
    header = np.where(valid, width, -1).astype(">i4").view(np.uint8).reshape(n, 4)
    if valid.all():
        return _fixed(np.hstack([header, payload]).reshape(-1), 4 + width)
    sizes = np.where(valid, 4 + width, 4)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(sizes, out=offsets[1:])
    flat = np.empty(int(offsets[-1]), dtype=np.uint8)
    flat[offsets[:-1, None] + np.arange(4)] = header
    rows = offsets[:-1][valid]
    flat[rows[:, None] + 4 + np.arange(width)] = payload[valid]
    return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(flat)])


def _fixed(flat: np.ndarray, width: int) -> pa.Array:
    """A binary array of ``len(flat) // width`` values of ``width`` bytes each (zero copy)."""
    n = len(flat) // width
    offsets = np.arange(0, n * width + 1, width, dtype=np.int32)
    data = np.ascontiguousarray(flat)
    return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
