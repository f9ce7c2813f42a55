"""Make an Arrow table fit a serving table's DDL, or say exactly why it does not.

Pure: no database. The result has the DDL's columns in the DDL's order and types; NaN and
+-infinity become NULL; timestamps are UTC instants in microseconds. Naive timestamps are
refused (their time zone is unknown), as are NULLs in NOT NULL columns.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from aerolake.errors import ServingError
from aerolake.serving.ddl import Column, TableSpec


def conform(spec: TableSpec, data: pa.Table) -> pa.Table:
    """``data`` cast to ``spec``'s schema; raises :class:`ServingError` on any mismatch."""
    present = set(data.column_names)
    missing = [c for c in spec.column_names if c not in present]
    extra = [c for c in data.column_names if c not in set(spec.column_names)]
    if missing or extra or len(present) != data.num_columns:
        raise ServingError(
            f"data for serving table {spec.name} does not match its DDL "
            f"(ddl/{spec.name}.sql): missing columns {missing}, unexpected columns {extra}"
            + (", duplicate column names" if len(present) != data.num_columns else "")
            + ". Make the producing model output exactly the DDL's columns."
        )
    arrays = [_conform_column(spec.name, col, data.column(col.name)) for col in spec.columns]
    return pa.Table.from_arrays(arrays, schema=spec.arrow_schema)


def _conform_column(table: str, col: Column, values: pa.ChunkedArray) -> pa.ChunkedArray:
    target = col.arrow_type
    source = values.type
    if pa.types.is_dictionary(source):
        values = values.cast(source.value_type)
        source = values.type
    if pa.types.is_timestamp(target):
        if not pa.types.is_timestamp(source) or source.tz is None:
            raise ServingError(
                f"{table}.{col.name}: expected a time-zone-aware timestamp (UTC), found {source}"
            )
        options = pc.CastOptions(target, allow_time_truncate=True)
        out = pc.cast(values, options=options)
    else:
        try:
            out = values.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ServingError(
                f"{table}.{col.name}: cannot store {source} as {col.sql_type}: {exc}"
            ) from exc
    if pa.types.is_floating(target):
        # NaN and +-inf have no place in the serving tables: they become NULL.
        out = pc.if_else(pc.is_finite(out), out, pa.scalar(None, target))
    if col.not_null and out.null_count:
        raise ServingError(
            f"{table}.{col.name} is NOT NULL in the DDL but {out.null_count} rows are NULL"
            + (" (NaN/inf count as NULL)" if pa.types.is_floating(target) else "")
        )
    return out
