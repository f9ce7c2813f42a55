"""The DuckDB adapter of :class:`~aerolake.analytics.engine.Engine`: in-process, in memory.

Uses only the extensions built into the ``duckdb`` wheel (Parquet, ICU): it never installs or
loads anything, so nothing is downloaded at run time. Sessions run in UTC, so timestamps come
back as ``timestamp[us, tz=UTC]``.

Inputs: local Parquet paths and globs are read by DuckDB itself (the fast path). Remote data
(an ``s3://`` lake) comes as a :class:`pyarrow.dataset.Dataset`, which DuckDB scans lazily,
with column and filter pushdown, through pyarrow's filesystem: ``s3://`` paths would need the
httpfs extension, so :meth:`DuckDBEngine.register` refuses them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

from aerolake.analytics.engine import check_name, model_chain, render_sql
from aerolake.errors import LakeError

#: How DuckDB reports an error raised by pyarrow while it scans a registered Arrow object.
_ARROW_READ_FAILED = "reading the stream registered as"


@contextmanager
def _read_errors(what: str) -> Iterator[None]:
    """Input that cannot be read (a file gone or corrupt, S3 unreachable) as LakeError."""
    try:
        yield
    except duckdb.IOException as exc:
        raise LakeError(
            f"{what} could not read its input: {exc}. Check the registered paths."
        ) from exc
    except duckdb.InvalidInputException as exc:
        # A registered dataset whose filesystem failed (S3 unreachable, a file gone).
        if _ARROW_READ_FAILED not in str(exc):
            raise
        raise LakeError(
            f"{what} could not read its input: {exc}. Check the lake's storage "
            "(for S3: AEROLAKE_S3_ENDPOINT, credentials, network) and retry."
        ) from exc


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class DuckDBEngine:
    """An in-memory DuckDB connection with the project's models.

    ``threads`` defaults to the number of cores; ``memory_limit`` (e.g. ``"4GB"``) caps DuckDB's
    buffer pool, spilling to ``temp_directory`` (DuckDB's default when None) beyond it.
    """

    def __init__(
        self,
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
        temp_directory: str | None = None,
    ) -> None:
        config: dict[str, str | bool | int | float | list[str]] = {
            "threads": threads or os.cpu_count() or 1,
            "preserve_insertion_order": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
        if memory_limit:
            config["memory_limit"] = memory_limit
        if temp_directory:
            config["temp_directory"] = temp_directory
        self._con = duckdb.connect(":memory:", config=config)
        self._con.execute("SET TimeZone = 'UTC'")
        # Arrow objects behind registered views, kept alive as long as their view.
        self._arrow: dict[str, pa.Table | ds.Dataset] = {}

    def register(self, name: str, source: pa.Table | ds.Dataset | Sequence[str]) -> None:
        """See :meth:`aerolake.analytics.engine.Engine.register`. Paths must be local:
        a URL such as ``s3://...`` raises LakeError (register a dataset instead)."""
        check_name(name)
        if isinstance(source, pa.Table | ds.Dataset):
            self._con.execute(f"DROP VIEW IF EXISTS {name}")
            self._con.register(name, source)
            self._arrow[name] = source
            return
        paths = list(source)
        if not paths or not all(isinstance(p, str) for p in paths):
            raise ValueError(
                f"register({name!r}) needs an Arrow table, a pyarrow dataset or a non-empty "
                "list of paths"
            )
        remote = next((p for p in paths if "://" in p and not p.startswith("file://")), None)
        if remote is not None:
            raise LakeError(
                f"register({name!r}): the DuckDB engine reads local Parquet paths only, got "
                f"{remote!r} (reading it would need DuckDB's httpfs extension, which aerolake "
                "never downloads). Pass a pyarrow dataset over the remote filesystem instead: "
                "Lake.engine_source(table, partitions) gives one for an s3:// lake."
            )
        files = ", ".join(_quote(p) for p in paths)
        if self._arrow.pop(name, None) is not None:
            self._con.unregister(name)
        self._con.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS "
            f"SELECT * FROM read_parquet([{files}], hive_partitioning = true)"
        )

    def run(self, model: str, params: Mapping[str, object] | None = None) -> pa.Table:
        chain = model_chain(model)
        with _read_errors(f"model {model!r}"):
            for dep in chain[:-1]:
                self._con.execute(
                    f"CREATE OR REPLACE TEMP VIEW {dep.name} AS {render_sql(dep.sql, params)}"
                )
            return self._con.sql(render_sql(chain[-1].sql, params)).to_arrow_table()

    def query(
        self, sql: str, inputs: Mapping[str, pa.Table | ds.Dataset | Sequence[str]]
    ) -> pa.Table:
        """``sql`` (DuckDB dialect) over ``inputs`` (as :meth:`register` takes them), visible
        to this query only (they replace views of the same names, which are gone afterwards)."""
        for name, source in inputs.items():
            self.register(name, source)
        try:
            with _read_errors("query"):
                return self._con.sql(sql).to_arrow_table()
        finally:
            for name in inputs:
                if self._arrow.pop(name, None) is not None:
                    self._con.unregister(name)
                else:
                    self._con.execute(f"DROP VIEW IF EXISTS {name}")

    def close(self) -> None:
        self._con.close()
        self._arrow.clear()
