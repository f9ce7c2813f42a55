"""Write state vectors as OpenSky historical "states" files.

The CSV is exactly OpenSky's: the 16-column header, that column order, no quoting (unless a value
holds a comma, quote or line break), booleans ``True``/``False``, nulls as empty fields, floats in
shortest round-trip form. ``csv.tar`` is a tar holding ``<stem>.csv.gz`` as OpenSky ships them.
Writes are atomic (temporary file, then rename) and deterministic: the same table writes the same
bytes (gzip and tar timestamps are fixed), so a file's checksum identifies its content.
"""

from __future__ import annotations

import datetime as dt
import os
import tarfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final, Literal, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from aerolake.schema import OPENSKY_COLUMNS, OPENSKY_FIELDS
from aerolake.sources.files_gzip import ParallelGzipWriter

WriteFormat = Literal["csv", "csv.gz", "csv.tar", "parquet"]
FORMATS: Final[tuple[WriteFormat, ...]] = ("csv", "csv.gz", "csv.tar", "parquet")

OPENSKY_SCHEMA: Final[pa.Schema] = pa.schema(OPENSKY_FIELDS)
HEADER: Final[bytes] = (",".join(OPENSKY_COLUMNS) + "\n").encode()
_WRITE_ROWS: Final[int] = 256 * 1024  # rows converted to text at a time (bounds memory)


class BinarySink(Protocol):
    """Anything with a binary ``write`` (an open file, a ``GzipFile``)."""

    def write(self, data: bytes, /) -> int: ...


def opensky_filename(hour: dt.datetime, fmt: WriteFormat) -> str:
    """``states_YYYY-MM-DD-HH.<fmt>`` for the UTC hour holding ``hour`` (timezone-aware)."""
    if hour.tzinfo is None:
        raise ValueError("hour must be timezone-aware (UTC)")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    return f"states_{hour.astimezone(dt.UTC):%Y-%m-%d-%H}.{fmt}"


def write_opensky_file(
    table: pa.Table | pa.RecordBatch,
    path: Path,
    fmt: WriteFormat,
    *,
    compression_level: int = 6,
) -> Path:
    """Write the 16 OpenSky columns of ``table`` (any order, extras dropped) to ``path``.

    ``path`` must end with ``.<fmt>``. Creates the parent directory; replaces an existing file
    atomically; returns ``path``. ``compression_level`` (1-9) applies to gzip.
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    if not path.name.endswith(f".{fmt}"):
        raise ValueError(f"{path} does not end with .{fmt}; readers choose the format by name")
    data = opensky_table(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        with _atomic(path) as tmp:
            pq.write_table(data, tmp, compression="zstd")
    elif fmt == "csv":
        with _atomic(path) as tmp, open(tmp, "wb") as out:
            write_csv(data, out)
    elif fmt == "csv.gz":
        with _atomic(path) as tmp:
            _write_gzip(data, tmp, compression_level)
    else:
        member = path.name.removesuffix(".tar") + ".gz"
        with _scratch(path.with_name(member)) as gz_tmp, _atomic(path) as tmp:
            _write_gzip(data, gz_tmp, compression_level)
            _write_tar(gz_tmp, member, tmp, mtime=_last_time(data))
    return path


def opensky_table(table: pa.Table | pa.RecordBatch) -> pa.Table:
    """The 16 OpenSky columns in order, cast to canonical types. Pure."""
    missing = [c for c in OPENSKY_COLUMNS if c not in table.schema.names]
    if missing:
        raise ValueError(f"cannot write an OpenSky file: columns {missing} are missing")
    arrays = [table.column(f.name).cast(f.type) for f in OPENSKY_FIELDS]
    return pa.Table.from_arrays(arrays, schema=OPENSKY_SCHEMA)


def csv_text_batches(data: pa.Table) -> Iterator[pa.RecordBatch]:
    """Batches with booleans as ``"True"``/``"False"`` strings (null stays null). Pure."""
    for batch in data.to_batches(max_chunksize=_WRITE_ROWS):
        arrays = [
            pc.if_else(col, "True", "False") if pa.types.is_boolean(col.type) else col
            for col in batch.columns
        ]
        yield pa.RecordBatch.from_arrays(arrays, names=list(OPENSKY_COLUMNS))


def write_csv(data: pa.Table, out: BinarySink) -> None:
    """OpenSky CSV text of ``data`` (already :func:`opensky_table`) onto a binary stream."""
    out.write(HEADER)
    options = pacsv.WriteOptions(include_header=False, quoting_style=_quoting(data))
    writer: pacsv.CSVWriter | None = None
    for batch in csv_text_batches(data):
        if writer is None:
            writer = pacsv.CSVWriter(out, batch.schema, write_options=options)
        writer.write_batch(batch)
    if writer is not None:
        writer.close()


def _quoting(data: pa.Table) -> str:
    """OpenSky's files are unquoted; quote strings only when some value needs it."""
    for f in OPENSKY_FIELDS:
        if f.type == pa.string():
            needs = pc.match_substring_regex(data.column(f.name), r'[,"\r\n]')
            if pc.any(needs).as_py():
                return "needed"
    return "none"


def _write_gzip(data: pa.Table, path: Path, level: int) -> None:
    with open(path, "wb") as raw, ParallelGzipWriter(raw, level=level) as out:
        write_csv(data, out)


def _write_tar(member_path: Path, member_name: str, path: Path, *, mtime: int) -> None:
    info = tarfile.TarInfo(member_name)
    info.size = member_path.stat().st_size
    info.mtime = mtime
    info.mode = 0o644
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar, open(member_path, "rb") as f:
        tar.addfile(info, f)


def _last_time(data: pa.Table) -> int:
    """The tar member's mtime: the table's last ``time`` (deterministic), 0 when empty."""
    latest = pc.max(data.column("time")).as_py()
    return int(latest) if latest is not None else 0


@contextmanager
def _scratch(path: Path) -> Iterator[Path]:
    """A temporary sibling of ``path`` (hidden, so directory scans skip it), always removed."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """A temporary sibling of ``path``, renamed onto it on success and removed on failure."""
    with _scratch(path) as tmp:
        yield tmp
        os.replace(tmp, path)
