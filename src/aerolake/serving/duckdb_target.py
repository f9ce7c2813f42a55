"""DuckDB file as the serving database (the default: ``duckdb:///path/to/serving.duckdb``).

URL form follows SQLAlchemy: ``duckdb:///relative/path.duckdb``, ``duckdb:////absolute/path``,
``duckdb:///:memory:``. The file's directory is created if missing. Loads are isolated by
DuckDB's MVCC: tables are dropped, recreated and filled inside one transaction (DuckDB cannot
rename an indexed table), and readers on other cursors keep their snapshot until the commit.
One process may open the file for writing at a time (DuckDB's own lock).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from aerolake.errors import ServingError
from aerolake.serving.connect import Retry, connect_with_retry
from aerolake.serving.ddl import quote
from aerolake.serving.sql_target import SqlTarget

_view_ids = itertools.count()


def duckdb_path(url: str) -> str:
    """The database path in a ``duckdb:///...`` URL (``:memory:`` for in-memory)."""
    if not url.startswith("duckdb://"):
        raise ServingError(f"not a DuckDB URL: {url!r} (expected duckdb:///path/to/file.duckdb)")
    rest = url.removeprefix("duckdb://")
    path = rest.removeprefix("/") if rest.startswith("/") else rest
    return path or ":memory:"


class DuckDBTarget(SqlTarget):
    """Serving target on a DuckDB file. See the module docstring for the URL form."""

    staging_suffix = ""

    def __init__(self, url: str, *, retry: Retry | None = None) -> None:
        super().__init__(url)
        self._driver_errors = (duckdb.Error,)
        path = duckdb_path(url)

        def connect() -> duckdb.DuckDBPyConnection:
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            return duckdb.connect(path)

        self._conn = connect_with_retry(connect, url, retry or Retry(), (duckdb.Error, OSError))
        self._ensure_meta_tables()

    def query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run a read-only query (``$1``-style parameters); timestamps come back in UTC."""
        cursor = self._conn.cursor()
        try:
            cursor.execute("BEGIN TRANSACTION READ ONLY")
            result = cursor.sql(sql, params=list(params) or None)
            table = result.to_arrow_table() if result is not None else pa.table({})
            cursor.execute("ROLLBACK")
        except duckdb.Error as exc:
            raise ServingError(f"query failed on {self.url}: {exc}") from exc
        finally:
            cursor.close()
        return _utc(table)

    def close(self) -> None:
        self._conn.close()

    # --- adapter hooks -----------------------------------------------------------------------

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(sql, list(params) or None)

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._conn.executemany(sql, [list(r) for r in rows])

    def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._conn.execute(sql, list(params) or None).fetchall())

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _bulk_insert(self, table: str, data: pa.Table, *, fresh: bool = False) -> None:
        view = f"aerolake_load_{next(_view_ids)}"
        cols = ", ".join(quote(c) for c in data.column_names)
        self._conn.register(view, data)
        try:
            self._conn.execute(f"INSERT INTO {quote(table)} ({cols}) SELECT {cols} FROM {view}")
        finally:
            self._conn.unregister(view)


def _utc(table: pa.Table) -> pa.Table:
    """Relabel zoned timestamp columns as UTC (DuckDB names the session zone; same instants)."""
    fields = [
        pa.field(f.name, pa.timestamp(f.type.unit, tz="UTC"), f.nullable)
        if pa.types.is_timestamp(f.type) and f.type.tz is not None
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))
