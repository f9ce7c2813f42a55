"""The DuckDB path of ``flight_segments``: read the points, cut them with the kernel, aggregate.

:func:`run_kernel` returns exactly the rows and columns ``engine.run("flight_segments", params)``
returns. The numpy kernel (:mod:`~aerolake.analytics.segment_kernel`) cuts the points into
segments, computes the ``track`` columns and labels every point with its segment; an
in-process DuckDB then runs the model's own ``stats`` aggregates as a GROUP BY on those labels
and the model's text from ``segments`` on (airports, output columns), on the engine's
connection (its threads and memory limit). So every aggregate and
output rule has a single source, the SQL model. Reads Parquet paths or a pyarrow dataset with
column projection and the time / stale filters pushed down.
"""

from __future__ import annotations

import glob
import re
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

#: The model's per-point aggregates: the select list of its ``stats`` CTE after the keys.
_STATS = re.compile(
    r"^stats AS \(\n    SELECT\n        v\.icao24,\n        c\.cut_time,\n(?P<aggregates>.*?)\n"
    r"    FROM silver AS v\n",
    re.MULTILINE | re.DOTALL,
)
#: Where the model's tail starts: the first CTE after ``segment_stats``.
_TAIL: Final[str] = "\nsegments AS (\n"
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
    points = read_points(silver, params)
    sql = render_sql(load_model("flight_segments").sql, params)
    stats = _STATS.search(sql)
    if stats is None or _TAIL not in sql:
        raise ValueError("flight_segments.sql lost the stats / segments CTEs the kernel reuses")
    if points.num_rows == 0:
        # Nothing to cut: the whole model over no rows gives the empty result.
        return _run(engine, sql, {"silver": SILVER_SCHEMA.empty_table()})
    track, labels = track_segments(
        points,
        gap_s=int(str(params["gap_s"])),
        ground_stop_s=int(str(params["ground_stop_s"])),
        threads=threads,
    )
    query = (
        "WITH stats AS (\n    SELECT\n        v.segment,\n"
        + stats.group("aggregates")
        + "\n    FROM points AS v\n    GROUP BY v.segment\n),\n"
        "segment_stats AS (\n    SELECT t.*, st.* EXCLUDE (segment)\n"
        "    FROM track AS t INNER JOIN stats AS st ON t.segment = st.segment\n),"
        + sql[sql.index(_TAIL) :]
    )
    inputs = {"points": points.append_column("segment", pa.array(labels)), "track": track}
    return _run(engine, query, inputs)


def _run(engine: DuckDBEngine, query: str, inputs: Mapping[str, pa.Table]) -> pa.Table:
    """``query`` on ``engine`` over ``inputs`` and the airports."""
    return engine.query(query, {**inputs, "airports": load_airports().table()})


def read_points(
    silver: pa.Table | ds.Dataset | Sequence[str], params: Mapping[str, object]
) -> pa.Table:
    """The columns the kernel needs of the non-stale rows in the points window and icao24
    group of ``params``."""
    if isinstance(silver, pa.Table):
        dataset = ds.dataset(silver)
    elif isinstance(silver, ds.Dataset):
        dataset = silver
    else:
        paths = [p.removeprefix("file://") for p in silver]
        files = [f for p in paths for f in (sorted(glob.glob(p)) if "*" in p else [p])]
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
