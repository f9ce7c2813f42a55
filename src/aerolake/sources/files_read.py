"""Readers for OpenSky historical "states" files: ``.csv``, ``.csv.gz``, ``.csv.tar``, Parquet.

Every reader streams in bounded memory and yields record batches holding the 16 OpenSky columns
in their canonical types (see :data:`aerolake.schema.OPENSKY_FIELDS`), plus ``origin_country``
when the file has it. Types are never inferred: ``icao24`` ``"000123"`` stays text. Empty CSV
fields are nulls; rows with null ``time`` or ``icao24`` are passed on for validation to
quarantine, not dropped here. Anything unreadable raises :class:`~aerolake.errors.CorruptInput`
naming the file and a position (``line N`` of the CSV text, or ``byte N`` of the file on disk).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from aerolake.errors import CorruptInput
from aerolake.schema import OPENSKY_COLUMNS, OPENSKY_FIELDS
from aerolake.sources.files_open import READ_ERRORS, FileFormat, open_csv_text

#: The columns we keep, with their canonical types. Other columns in a file are ignored.
COLUMN_TYPES: Final[dict[str, pa.DataType]] = {
    **{f.name: f.type for f in OPENSKY_FIELDS},
    "origin_country": pa.string(),
}
TRUE_VALUES: Final[list[str]] = ["True", "true", "1"]
FALSE_VALUES: Final[list[str]] = ["False", "false", "0"]

#: 1 MiB blocks keep the decompress and parse threads overlapping (measured faster than 16 MiB).
BLOCK_SIZE: Final[int] = 1 << 20
HEADER_MAX: Final[int] = 64 * 1024


def read_states(path: Path, fmt: FileFormat, *, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """Stream ``path`` as record batches of canonical columns (no provenance yet).

    Raises :class:`CorruptInput` for any damage,
    :class:`~aerolake.sources.files_open.NoCsvMember` for an archive without CSV.
    CSV batches follow Arrow's 1 MiB blocks (thousands of rows); Parquet ones hold ``batch_rows``.
    """
    if fmt == "parquet":
        return read_parquet(path, batch_rows=batch_rows)
    return read_csv(path, fmt)


# --- CSV ----------------------------------------------------------------------------------------


def read_header(path: Path, fmt: FileFormat) -> list[str]:
    """The column names of the CSV header line; checks the 16 OpenSky columns are all there."""
    position = "byte 0"
    try:
        with open_csv_text(path, fmt) as opened:
            position = "line 1"
            try:
                head = opened.stream.read(HEADER_MAX)
            except READ_ERRORS:
                position = f"byte {opened.tell()} of the file, reading the header"
                raise
    except READ_ERRORS as exc:
        raise CorruptInput(f"unreadable file: {exc}", path=str(path), position=position) from exc
    return parse_header(head, str(path))


def parse_header(head: bytes, path: str) -> list[str]:
    """Column names from the first line of ``head``. Pure; raises :class:`CorruptInput`."""
    expected = ",".join(OPENSKY_COLUMNS)
    if not head.strip():
        raise CorruptInput(
            f"empty CSV: expected the header {expected}", path=path, position="line 1"
        )
    end = head.find(b"\n")
    if end < 0 and len(head) >= HEADER_MAX:
        raise CorruptInput(
            f"no header line in the first {HEADER_MAX} bytes", path=path, position="line 1"
        )
    line = head if end < 0 else head[:end]
    try:
        text = line.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError as exc:
        raise CorruptInput("header is not UTF-8 text", path=path, position="line 1") from exc
    names = [_unquote(n) for n in text.split(",")]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    missing = [c for c in OPENSKY_COLUMNS if c not in names]
    if duplicated or missing:
        problem = f"duplicated {duplicated}" if duplicated else f"missing {missing}"
        raise CorruptInput(
            f"wrong header ({problem}): expected {expected}, found {text[:200]!r}",
            path=path,
            position="line 1",
        )
    return names


def _unquote(name: str) -> str:
    quoted = len(name) >= 2 and name[0] == name[-1] == '"'
    return name[1:-1] if quoted else name


def _convert_options(columns: list[str], *, as_bytes: bool = False) -> pacsv.ConvertOptions:
    return pacsv.ConvertOptions(
        column_types={c: pa.binary() if as_bytes else COLUMN_TYPES[c] for c in columns},
        include_columns=columns,
        null_values=[""],
        strings_can_be_null=True,
        true_values=TRUE_VALUES,
        false_values=FALSE_VALUES,
    )


def read_csv(path: Path, fmt: FileFormat) -> Iterator[pa.RecordBatch]:
    """Stream an OpenSky CSV (plain, gzip or in a tar) with explicit column types."""
    columns = [n for n in read_header(path, fmt) if n in COLUMN_TYPES]
    rows = 0
    try:
        with open_csv_text(path, fmt) as opened:
            try:
                reader = pacsv.open_csv(
                    opened.stream,
                    read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE, use_threads=True),
                    convert_options=_convert_options(columns),
                )
                for batch in reader:
                    rows += batch.num_rows
                    yield batch
            except READ_ERRORS as exc:
                position = f"byte {opened.tell()} of the file, after {rows} rows"
                if isinstance(exc, pa.ArrowInvalid):
                    position = locate_bad_line(path, fmt, columns) or position
                raise CorruptInput(
                    f"unreadable CSV: {exc}", path=str(path), position=position
                ) from exc
    except READ_ERRORS as exc:  # raised while opening or closing the archive
        raise CorruptInput(
            f"unreadable file: {exc}", path=str(path), position=f"after {rows} rows"
        ) from exc


def locate_bad_line(path: Path, fmt: FileFormat, columns: list[str]) -> str | None:
    """Re-read serially as raw bytes to find the first line Arrow rejects, e.g. ``"line 12"``.

    Only called after a failure, so its cost (a second pass up to the bad line) is paid once.
    Lines count the header as line 1. None when the damage is not in the CSV text itself.
    """
    lines_before = 1  # the header
    try:
        with open_csv_text(path, fmt) as opened:
            # Serial reading makes Arrow number rows in its parse errors ("Row #12: ...").
            reader = pacsv.open_csv(
                opened.stream,
                read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE, use_threads=False),
                convert_options=_convert_options(columns, as_bytes=True),
            )
            for batch in reader:
                index = _first_unconvertible(batch)
                if index is not None:
                    return f"line {lines_before + index + 1}"
                lines_before += batch.num_rows
    except READ_ERRORS as exc:
        numbered = _ROW_NUMBER.search(str(exc))
        return f"line {numbered.group(1)}" if numbered else None
    return None


_ROW_NUMBER: Final = re.compile(r"Row #(\d+)")


def _first_unconvertible(batch: pa.RecordBatch) -> int | None:
    """Index of the first row whose bytes do not convert to their column's type, else None."""
    bad: list[int] = []
    for name in batch.schema.names:
        raw = batch.column(name)
        index = _first_failing_cast(raw, pa.string())  # invalid UTF-8
        if index is None:
            index = _first_bad_value(raw.cast(pa.string()), COLUMN_TYPES[name])
        if index is not None:
            bad.append(index)
    return min(bad, default=None)


def _first_bad_value(text: pa.Array, target: pa.DataType) -> int | None:
    if target == pa.string():
        return None
    if pa.types.is_boolean(target):
        known = pc.is_in(text, pa.array(TRUE_VALUES + FALSE_VALUES))
        index: int = pc.index(pc.or_kleene(pc.is_null(text), known), False).as_py()
        return None if index < 0 else index
    return _first_failing_cast(text, target)


def _first_failing_cast(column: pa.Array, target: pa.DataType) -> int | None:
    """Binary search for the first value that does not cast; log2(n) casts."""
    if _casts(column, target):
        return None
    lo, hi = 0, len(column)  # the first bad index lies in [lo, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _casts(column.slice(lo, mid - lo), target):
            lo = mid
        else:
            hi = mid
    return lo


def _casts(column: pa.Array, target: pa.DataType) -> bool:
    try:
        column.cast(target)
    except pa.ArrowInvalid:
        return False
    return True


# --- Parquet ------------------------------------------------------------------------------------


def read_parquet(path: Path, *, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """Stream a Parquet file holding the 16 OpenSky columns in any order, cast to canonical types."""
    rows = 0
    try:
        parquet = pq.ParquetFile(str(path))
        names = parquet.schema_arrow.names
        missing = [c for c in OPENSKY_COLUMNS if c not in names]
        if missing:
            raise CorruptInput(
                f"Parquet file lacks the OpenSky columns {missing}; found {names}",
                path=str(path),
                position="schema",
            )
        columns = [c for c in COLUMN_TYPES if c in names]
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
            cast = pa.RecordBatch.from_arrays(
                [batch.column(c).cast(COLUMN_TYPES[c]) for c in columns], names=columns
            )
            rows += cast.num_rows
            yield cast
    except READ_ERRORS as exc:
        raise CorruptInput(
            f"unreadable Parquet: {exc}", path=str(path), position=f"after row {rows}"
        ) from exc
