"""The DuckDB path of ``flight_segments``: the kernel cuts the points, the model's SQL does the
rest.

:func:`run_kernel` returns exactly the rows and columns ``engine.run("flight_segments", params)``
returns. The numpy kernel (:mod:`~aerolake.analytics.segment_kernel`) reads the few columns that
need a point's neighbours and computes the model's ``cut_hours`` and ``track`` CTEs; the engine
then runs the model's own text from ``stats`` on (per-point aggregates, joined to the cut
intervals on icao24 and hour as in the model; airports; output columns) over the same input, so
DuckDB reads the other columns itself, on the engine's connection (its threads and memory
limit). Every aggregate and output rule has a single source, the SQL model. The kernel reads
Parquet paths or a pyarrow dataset with column projection and the time / stale filters pushed
down.
"""

from __future__ import annotations

import glob
from collections.abc import Mapping, Sequence
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from aerolake.analytics.duckdb_engine import DuckDBEngine
from aerolake.analytics.engine import load_model, render_sql
from aerolake.analytics.segment_kernel import COLUMNS, track_segments
from aerolake.errors import LakeError
from aerolake.refdata.airports import load_airports
from aerolake.schema import SILVER_SCHEMA

#: Where the part of the model the engine runs starts: the first CTE after ``track``.
_TAIL: Final[str] = "\nstats AS (\n"
#: Text columns are read dictionary-encoded, as Parquet stores them: no strings are built.
_TEXT = [n for n in COLUMNS if SILVER_SCHEMA.field(n).type == pa.string()]
_READ_SCHEMA: Final[pa.Schema] = pa.schema(
    [
        pa.field(f.name, pa.dictionary(pa.int32(), pa.string())) if f.name in _TEXT else f
        for f in (SILVER_SCHEMA.field(name) for name in (*COLUMNS, "stale"))
    ]
)
_FORMAT: Final = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=_TEXT))


def run_kernel(
    engine: DuckDBEngine,
    silver: pa.Table | ds.Dataset | Sequence[str],
    params: Mapping[str, object],
    threads: int | None = None,
) -> pa.Table:
    """``flight_segments`` for ``params`` (see :func:`aerolake.analytics.segment.model_params`)
    over ``silver``: the kernel on ``threads`` threads (default: one per core), then
    ``engine``."""
    if not isinstance(silver, pa.Table | ds.Dataset):
        silver = [p.removeprefix("file://") for p in silver]
    points = read_points(silver, params)
    sql = render_sql(load_model("flight_segments").sql, params)
    if _TAIL not in sql:
        raise ValueError("flight_segments.sql lost the stats CTE the kernel's results feed")
    if points.num_rows == 0:
        # Nothing to cut: the whole model over no rows gives the empty result.
        return _run(engine, sql, {"silver": SILVER_SCHEMA.empty_table()})
    track, cut_hours = track_segments(
        points,
        gap_s=int(str(params["gap_s"])),
        ground_stop_s=int(str(params["ground_stop_s"])),
        threads=threads,
    )
    del points
    query = "WITH " + sql[sql.index(_TAIL) + 1 :]
    return _run(engine, query, {"silver": silver, "track": track, "cut_hours": cut_hours})


def _run(
    engine: DuckDBEngine,
    query: str,
    inputs: Mapping[str, pa.Table | ds.Dataset | Sequence[str]],
) -> pa.Table:
    """``query`` on ``engine`` over ``inputs`` and the airports."""
    return engine.query(query, {**inputs, "airports": load_airports().table()})


def read_points(
    silver: pa.Table | ds.Dataset | Sequence[str], params: Mapping[str, object]
) -> pa.Table:
    """The columns the kernel needs of the non-stale rows in the points window and icao24
    group of ``params``; paths are local (globs allowed), without ``file://``."""
    if isinstance(silver, pa.Table):
        dataset = ds.dataset(silver)
    elif isinstance(silver, ds.Dataset):
        dataset = silver
    else:
        files = [f for p in silver for f in (sorted(glob.glob(p)) if "*" in p else [p])]
        dataset = ds.dataset(files, schema=_READ_SCHEMA, format=_FORMAT)
    stale = pc.field("stale")
    where = (
        (pc.field("time") >= params["points_from"])
        & (pc.field("time") < params["points_to"])
        & (stale.is_null() | ~stale)
    )
    digits = str(params["icao24_last_digits"])
    if len(set(digits)) < 16:
        last = pc.utf8_slice_codeunits(pc.field("icao24").cast(pa.string()), 5, 6)
        where = where & pc.is_in(last, pa.array(list(digits)))
    try:
        return dataset.to_table(columns=list(COLUMNS), filter=where)
    except OSError as exc:  # a file gone, S3 unreachable: as the engines report it
        raise LakeError(
            f"model 'flight_segments' could not read its input: {exc}. Check the lake's "
            "storage (for S3: AEROLAKE_S3_ENDPOINT, credentials, network) and retry."
        ) from exc
