"""Deterministic Parquet encoding: the same table gives the same bytes, hence the same name.

Fixed writer options (:data:`COMPRESSION`, statistics on, row groups of
:data:`ROW_GROUP_ROWS` rows, no timestamps in the metadata); rows keep their input order, so
sorted inputs stay sorted. Inputs are cut into files of at most :data:`FILE_ROWS` rows, each
encoded in memory (bounded by that size) and hashed before anything is written — the name needs
the hash, and S3 has no rename. Pure: no lake I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

import pyarrow as pa
import pyarrow.parquet as pq

from aerolake.errors import LakeError

ROW_GROUP_ROWS: Final = 512 * 1024
#: Snappy, the Parquet default of Spark and Trino: every layer is read again downstream, and
#: snappy decodes faster than zstd. Measured on 10M silver rows (stop 10): segmentation 2.95 s
#: vs 3.4 s with zstd level 3, for files 15% larger (575 MB vs 501 MB).
COMPRESSION: Final = "snappy"
FILE_ROWS: Final = 4 * ROW_GROUP_ROWS

Data: TypeAlias = "pa.Table | pa.RecordBatch | Iterable[pa.RecordBatch]"


@dataclass(frozen=True)
class Encoded:
    """One Parquet file's bytes, its row count and the hex sha256 of the bytes."""

    buffer: pa.Buffer
    rows: int
    sha256: str


def encode(table: pa.Table) -> Encoded:
    """Encode one file. Chunks are combined first: the writer's page boundaries follow the
    input chunking, and the bytes must depend on the rows only (a copy of <= FILE_ROWS rows)."""
    if any(column.num_chunks > 1 for column in table.columns):
        table = table.combine_chunks()
    sink = pa.BufferOutputStream()
    pq.write_table(
        table,
        sink,
        row_group_size=ROW_GROUP_ROWS,
        compression=COMPRESSION,
        write_statistics=True,
        use_dictionary=True,
        store_schema=True,
    )
    buffer = sink.getvalue()
    return Encoded(buffer, table.num_rows, hashlib.sha256(memoryview(buffer)).hexdigest())


def chunks(
    data: Data,
    drop: Sequence[str] = (),
    schema: pa.Schema | None = None,
    file_rows: int = FILE_ROWS,
) -> Iterator[pa.Table]:
    """Cut ``data`` into tables of at most ``file_rows`` rows, without columns in ``drop``
    (partition columns live in the path). An empty input yields one empty table when its
    schema is known (given, or from a table), so an empty partition still has a schema."""
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        table = _drop(data, drop)
        if table.num_rows == 0:
            yield table
        for start in range(0, table.num_rows, file_rows):
            yield table.slice(start, file_rows)
        return
    pending: list[pa.RecordBatch] = []
    count = 0
    emitted = False
    for batch in data:
        if not isinstance(batch, pa.RecordBatch):
            raise LakeError(f"expected pyarrow RecordBatches, got {type(batch).__name__}")
        pending.append(batch)
        count += batch.num_rows
        while count >= file_rows:
            table = pa.Table.from_batches(pending)
            yield _drop(table.slice(0, file_rows), drop)
            emitted = True
            rest = table.slice(file_rows)
            pending, count = rest.to_batches(), rest.num_rows
    if count or (pending and not emitted):
        yield _drop(pa.Table.from_batches(pending), drop)
    elif not emitted and schema is not None:
        yield _drop(schema.empty_table(), drop)


def _drop(table: pa.Table, drop: Sequence[str]) -> pa.Table:
    present = [c for c in drop if c in table.column_names]
    return table.drop_columns(present) if present else table
