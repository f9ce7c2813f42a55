"""Optional import of the OpenSky aircraft database (icao24 -> registration, type, operator).

The user downloads the CSV themselves (``aircraftDatabase.csv`` or
``aircraft-database-complete-YYYY-MM.csv``); aerolake never fetches it. Both dialects are read:
the older one quotes with ``"`` and has lower-case headers, the newer one quotes every field
with ``'`` and uses camelCase headers. Column names are matched case-insensitively.

The import streams the CSV in blocks, keeps five columns, drops rows whose icao24 is not six
hex digits (counted and logged), keeps the first row per icao24, and replaces
``<data_dir>/refdata/aircraft.parquet`` atomically. Re-running it on the same file gives the
same result.
"""

from __future__ import annotations

import csv
import logging
import os
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
import pyarrow.parquet as pq

from aerolake.errors import CorruptInput

log = logging.getLogger(__name__)

AIRCRAFT_SCHEMA: Final[pa.Schema] = pa.schema(
    [
        pa.field("icao24", pa.string(), nullable=False),  # 6 lower-case hex digits
        pa.field("registration", pa.string()),
        pa.field("typecode", pa.string()),  # ICAO type designator, e.g. "A20N"
        pa.field("model", pa.string()),
        pa.field("operator", pa.string()),
    ]
)

_LOOSE_SCHEMA: Final[pa.Schema] = AIRCRAFT_SCHEMA.set(0, pa.field("icao24", pa.string()))

BLOCK_SIZE: Final[int] = 16 << 20


def aircraft_path(data_dir: Path) -> Path:
    return Path(data_dir) / "refdata" / "aircraft.parquet"


def _sniff(csv_path: Path) -> tuple[str, dict[str, str]]:
    """(quote character, {lower-case column name: column name as written})."""
    with open(csv_path, encoding="utf-8", errors="replace") as fh:
        first = fh.readline()
    if not first.strip():
        raise CorruptInput("aircraft database CSV is empty", path=str(csv_path))
    quote = "'" if first.lstrip().startswith("'") else '"'
    header = next(csv.reader([first], quotechar=quote))
    return quote, {name.strip().lower(): name for name in header}


def _clean(column: pa.Array) -> pa.Array:
    """Trimmed strings; empty becomes null."""
    text = pc.utf8_trim_whitespace(column.cast(pa.string()))
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _project(batch: pa.RecordBatch, names: dict[str, str]) -> tuple[pa.Table, int]:
    """The kept columns of one batch in AIRCRAFT_SCHEMA, and how many rows were invalid."""
    icao = pc.utf8_lower(pc.utf8_trim_whitespace(batch.column(names["icao24"])))
    valid = pc.fill_null(pc.match_substring_regex(icao, r"^[0-9a-f]{6}$"), False)
    cols: list[pa.Array] = [icao]
    for field in AIRCRAFT_SCHEMA:
        if field.name == "icao24":
            continue
        source = names.get(field.name)
        n = batch.num_rows
        cols.append(_clean(batch.column(source)) if source else pa.nulls(n, pa.string()))
    # icao24 may still hold nulls here; they are filtered out below.
    table = pa.Table.from_arrays(cols, schema=_LOOSE_SCHEMA)
    kept = table.filter(valid)
    return kept, batch.num_rows - kept.num_rows


def import_aircraft_db(csv_path: Path, data_dir: Path) -> int:
    """Import the OpenSky aircraft database CSV; returns the number of aircraft written.

    Memory is bounded by the CSV block size plus the five kept columns (tens of MB for the
    full database). Raises :class:`CorruptInput` if the file has no ``icao24`` column.
    """
    csv_path = Path(csv_path)
    quote, header = _sniff(csv_path)
    if "icao24" not in header:
        raise CorruptInput(
            "aircraft database CSV has no icao24 column; expected the OpenSky aircraft "
            f"database export, found columns {sorted(header.values())[:10]}",
            path=str(csv_path),
        )
    wanted = {f.name: header[f.name] for f in AIRCRAFT_SCHEMA if f.name in header}
    skipped_malformed = 0

    def on_invalid(_row: object) -> str:
        nonlocal skipped_malformed
        skipped_malformed += 1
        return "skip"

    reader = pv.open_csv(
        csv_path,
        read_options=pv.ReadOptions(block_size=BLOCK_SIZE),
        parse_options=pv.ParseOptions(
            quote_char=quote, newlines_in_values=True, invalid_row_handler=on_invalid
        ),
        convert_options=pv.ConvertOptions(
            include_columns=list(wanted.values()),
            column_types={name: pa.string() for name in wanted.values()},
        ),
    )
    parts: list[pa.Table] = []
    invalid = 0
    for batch in reader:
        kept, bad = _project(batch, wanted)
        parts.append(kept)
        invalid += bad
    table = pa.concat_tables(parts) if parts else AIRCRAFT_SCHEMA.empty_table()
    table = _first_per_icao24(table).cast(AIRCRAFT_SCHEMA)
    _write_atomic(table, aircraft_path(data_dir))
    if invalid or skipped_malformed:
        log.warning(
            "aircraft database %s: dropped %d rows with an invalid icao24 and %d malformed rows",
            csv_path,
            invalid,
            skipped_malformed,
        )
    return int(table.num_rows)


def _first_per_icao24(table: pa.Table) -> pa.Table:
    if table.num_rows == 0:
        return table
    numbered = table.append_column("__row", pa.array(range(table.num_rows), pa.int64()))
    first = numbered.group_by("icao24", use_threads=False).aggregate([("__row", "min")])
    order = pc.sort_indices(first.column("__row_min"))
    return table.take(pc.take(first.column("__row_min"), order))


def _write_atomic(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_aircraft_db(data_dir: Path) -> pa.Table | None:
    """The imported aircraft table (:data:`AIRCRAFT_SCHEMA`), or None when never imported."""
    path = aircraft_path(data_dir)
    if not path.exists():
        return None
    return pq.read_table(path, schema=AIRCRAFT_SCHEMA)
