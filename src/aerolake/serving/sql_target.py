"""Load logic shared by the SQL serving targets; the adapters supply connection and bulk copy.

Contracts, for every adapter:

- ``replace_tables`` is atomic across all the tables it is given and the watermarks. PostgreSQL
  first builds and commits each ``<table>__staging`` (COPY, indexes) on its own connection, in
  parallel; one transaction then renames the live tables ``<table>__retired``, renames the
  staging ones to the live names and upserts the watermarks; the retired tables are dropped
  after the commit (deleting their files does not hold readers up). DuckDB does drop + create
  + insert in that one transaction (MVCC). A reader sees the old tables or the new ones, never
  a missing, empty or half-loaded one. Idempotent.
- ``replace_partitions`` deletes the rows whose key column is in ``keys`` and inserts ``data``,
  with the watermark, in one transaction. Idempotent.
- An existing table whose columns differ from its DDL raises :class:`ServingError` before
  anything is written; :meth:`SqlTarget.migrate` is the explicit way out.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from aerolake.errors import ServingError
from aerolake.serving.conform import conform
from aerolake.serving.ddl import (
    CATALOG_TYPES,
    META_TABLES,
    TABLES,
    TableSpec,
    create_index_sql,
    create_table_sql,
    quote,
)
from aerolake.settings import redact_url

#: Suffix a replaced live table carries between the swap's commit and its drop.
RETIRED_SUFFIX = "__retired"


class SqlTarget:
    """Base of :class:`DuckDBTarget` and :class:`PostgresTarget`. Thread-safe (one writer)."""

    #: Suffix of staging tables and their indexes; empty = build in place (DuckDB).
    staging_suffix = "__staging"

    def __init__(self, url: str) -> None:
        self.url = redact_url(url)
        self._lock = threading.RLock()
        self._driver_errors: tuple[type[BaseException], ...] = ()
        #: Wall seconds per phase of the last :meth:`apply` (diagnostics for benchmarks and
        #: logs). Phases of tables built in parallel overlap, so they do not add up.
        self.last_load: dict[str, float] = {}

    # --- adapter hooks -----------------------------------------------------------------------

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        raise NotImplementedError

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _bulk_insert(self, table: str, data: pa.Table, *, fresh: bool = False) -> None:
        """Append ``data`` (already conformed) to ``table`` inside the open transaction.

        ``fresh``: the table was created in this transaction (PostgreSQL may then COPY FREEZE).
        """
        raise NotImplementedError

    def _build_apart(self, prepared: Sequence[tuple[TableSpec, pa.Table]]) -> bool:
        """Build and commit the staging tables before the load's transaction opens.

        Returns False (the default) when the adapter builds them inside that transaction.
        """
        return False

    def _tune_bulk_load(self) -> None:
        """Session settings for a large load, local to the open transaction (default: none)."""

    # --- public interface --------------------------------------------------------------------

    def replace_tables(
        self, tables: Mapping[str, pa.Table], *, watermark: Mapping[str, str] | None = None
    ) -> None:
        """Replace each named table's contents with the given rows, all in one transaction."""
        self.apply(replace=tables, watermark=watermark)

    def replace_partitions(
        self,
        table: str,
        data: pa.Table,
        key_column: str,
        keys: Sequence[Any],
        *,
        watermark: Mapping[str, str] | None = None,
    ) -> None:
        """Delete rows whose ``key_column`` is in ``keys``, insert ``data``: one transaction.

        Every row of ``data`` must have its key in ``keys``, or nothing is written.
        """
        self.apply(partitions={table: (key_column, keys, data)}, watermark=watermark)

    def apply(
        self,
        *,
        replace: Mapping[str, pa.Table] | None = None,
        partitions: Mapping[str, tuple[str, Sequence[Any], pa.Table]] | None = None,
        watermark: Mapping[str, str] | None = None,
    ) -> None:
        """Whole-table replacements, partition replacements and watermarks in ONE transaction.

        ``partitions`` maps a table to (key column, keys, rows): rows whose key column is in
        keys are deleted and ``rows`` inserted (each row's key must be in keys). Readers see
        every change at once, or none.
        """
        replace = replace or {}
        partitions = partitions or {}
        self.last_load = {}
        with self._timed("conform"):
            prepared = [(_spec(name), data) for name, data in replace.items()]
            prepared = [(spec, conform(spec, data)) for spec, data in prepared]
            parts = [
                (_spec(name), column, self._partition_keys(_spec(name), column, keys, data), data)
                for name, (column, keys, data) in partitions.items()
            ]
            parts = [
                (spec, column, keys, conform(spec, data)) for spec, column, keys, data in parts
            ]
        names = ", ".join([*replace, *partitions])
        with self._guarded(f"loading {names}"):
            for spec in [s for s, _ in prepared] + [p[0] for p in parts]:
                self._check_schema(spec)
            with self._timed("staging builds (parallel)"):
                built_apart = self._build_apart(prepared)
            with self._timed("load transaction"), self._transaction():
                self._tune_bulk_load()
                for spec, column, key_values, rows in parts:
                    self._create_if_missing(spec)
                    self._execute(
                        f"DELETE FROM {quote(spec.name)} WHERE {quote(column)} = ANY($1)",
                        [key_values.to_pylist()],
                    )
                    if rows.num_rows:
                        self._bulk_insert(spec.name, rows)
                for spec, data in [] if built_apart else prepared:
                    build = spec.name + self.staging_suffix
                    self._execute(f"DROP TABLE IF EXISTS {quote(build)}")
                    self._execute(create_table_sql(spec, build))
                    self._bulk_insert(build, data, fresh=True)
                    for index in spec.indexes:
                        name = index.name + self.staging_suffix
                        self._execute(create_index_sql(index, build, name))
                if self.staging_suffix:
                    for spec, _ in prepared:
                        self._swap_in(spec)
                self._write_watermarks(watermark)
            if self.staging_suffix and prepared:
                with self._timed("drop replaced tables (after commit)"):
                    self._drop_retired([spec for spec, _ in prepared])

    def _drop_retired(self, specs: Sequence[TableSpec]) -> None:
        """Drop the tables a committed load replaced. Best effort: the data is already served,
        and a table left here is dropped by the next load of its name."""
        with suppress(*self._driver_errors):
            for spec in specs:
                self._execute(f"DROP TABLE IF EXISTS {quote(spec.name + RETIRED_SUFFIX)}")

    @staticmethod
    def _partition_keys(
        spec: TableSpec, key_column: str, keys: Sequence[Any], data: pa.Table
    ) -> pa.Array:
        if key_column not in spec.column_names:
            raise ServingError(f"{spec.name} has no column {key_column!r} to replace partitions by")
        key_values = pa.array(list(keys), type=spec.arrow_schema.field(key_column).type)
        if key_column in data.column_names:
            column = data.column(key_column).cast(key_values.type)
            outside = pc.sum(pc.invert(pc.is_in(column, key_values))).as_py()
            if outside:
                raise ServingError(
                    f"{outside} rows for {spec.name} have a {key_column} outside the partitions"
                    " being replaced; pass every partition key the data covers"
                )
        return key_values

    def upsert(self, table: str, data: pa.Table) -> None:
        """Insert rows, or update the row with the same primary key. For small record tables."""
        spec = _spec(table)
        rows = conform(spec, data)
        cols = spec.column_names
        placeholders = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
        updates = ", ".join(
            f"{quote(c)} = EXCLUDED.{quote(c)}" for c in cols if c not in spec.primary_key
        )
        sql = (
            f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in cols)})"
            f" VALUES ({placeholders})"
            f" ON CONFLICT ({', '.join(quote(c) for c in spec.primary_key)})"
            f" DO UPDATE SET {updates}"
        )
        values = [tuple(r[c] for c in cols) for r in rows.to_pylist()]
        with self._guarded(f"writing {table}"), self._transaction():
            self._create_if_missing(spec)
            self._executemany(sql, values)

    def watermark(self, name: str) -> str | None:
        """The watermark committed with the data, or None when none was ever written."""
        with self._guarded("reading a watermark"):
            rows = self._fetchall(
                f"SELECT value FROM {quote('serving_watermarks')} WHERE name = $1", [name]
            )
        return str(rows[0][0]) if rows else None

    def table_exists(self, table: str) -> bool:
        with self._guarded("reading the catalog"):
            return bool(self._live_types(table))

    def migrate(self) -> list[str]:
        """Explicit migration: set aside every table whose columns differ from its DDL.

        Each such table is copied to ``<name>__legacy_<UTC stamp>`` and dropped; bookkeeping
        tables are recreated empty, data tables at their next load. Returns the legacy names.
        """
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
        moved = []
        with self._guarded("migrating"), self._transaction():
            for spec in TABLES.values():
                found = self._live_types(spec.name)
                if found and found != spec.catalog_types:
                    legacy = f"{spec.name}__legacy_{stamp}"
                    self._execute(
                        f"CREATE TABLE {quote(legacy)} AS SELECT * FROM {quote(spec.name)}"
                    )
                    self._execute(f"DROP TABLE {quote(spec.name)}")
                    moved.append(legacy)
            for name in META_TABLES:
                self._create_if_missing(TABLES[name])
        return moved

    # --- shared steps ------------------------------------------------------------------------

    def _ensure_meta_tables(self) -> None:
        with self._guarded("creating bookkeeping tables"):
            for name in META_TABLES:
                self._check_schema(TABLES[name])
            with self._transaction():
                for name in META_TABLES:
                    self._create_if_missing(TABLES[name])

    def _swap_in(self, spec: TableSpec) -> None:
        """Replace the live table by its staging twin, renaming indexes to the DDL's names.

        The live table is renamed ``<table>__retired`` rather than dropped: deleting its files
        at commit would hold readers on the lock for longer. :meth:`_drop_retired` drops it
        after the commit (or the next load, after a crash in between).
        """
        staging = spec.name + self.staging_suffix
        retired = spec.name + RETIRED_SUFFIX
        self._execute(f"DROP TABLE IF EXISTS {quote(retired)}")
        self._execute(f"ALTER TABLE IF EXISTS {quote(spec.name)} RENAME TO {quote(retired)}")
        for live in [spec.name + "_pkey", *(i.name for i in spec.indexes)]:
            # Renaming the primary key's index renames its constraint too.
            self._execute(
                f"ALTER INDEX IF EXISTS {quote(live)} RENAME TO {quote(live + RETIRED_SUFFIX)}"
            )
        self._execute(f"ALTER TABLE {quote(staging)} RENAME TO {quote(spec.name)}")
        self._execute(
            f"ALTER TABLE {quote(spec.name)} RENAME CONSTRAINT {quote(staging + '_pkey')}"
            f" TO {quote(spec.name + '_pkey')}"
        )
        for index in spec.indexes:
            old = index.name + self.staging_suffix
            self._execute(f"ALTER INDEX {quote(old)} RENAME TO {quote(index.name)}")

    def _create_if_missing(self, spec: TableSpec) -> None:
        self._execute(create_table_sql(spec, spec.name, if_not_exists=True))
        for index in spec.indexes:
            self._execute(create_index_sql(index, spec.name, index.name, if_not_exists=True))

    def _write_watermarks(self, watermark: Mapping[str, str] | None) -> None:
        if not watermark:
            return
        now = dt.datetime.now(dt.UTC)
        self._executemany(
            f"INSERT INTO {quote('serving_watermarks')} (name, value, updated_at)"
            " VALUES ($1, $2, $3) ON CONFLICT (name)"
            " DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at",
            [(name, str(value), now) for name, value in watermark.items()],
        )

    def _live_types(self, table: str) -> dict[str, str]:
        """Column -> DDL type of the live table (unknown types kept as found); {} if absent."""
        rows = self._fetchall(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = $1",
            [table],
        )
        return {str(n): CATALOG_TYPES.get(str(t).upper(), str(t).upper()) for n, t in rows}

    def _check_schema(self, spec: TableSpec) -> None:
        found = self._live_types(spec.name)
        expected = spec.catalog_types
        if not found or found == expected:
            return
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected))
        changed = sorted(
            f"{c}: {found[c]} (DDL: {expected[c]})"
            for c in set(found) & set(expected)
            if found[c] != expected[c]
        )
        raise ServingError(
            f"serving table {spec.name} in {self.url} does not match ddl/{spec.name}.sql:"
            f" missing columns {missing}, unexpected columns {extra}, type changes {changed}."
            " Nothing was written. To keep its rows aside and recreate it, run the explicit"
            " migration (ServingTarget.migrate()), or drop the table yourself."
        )

    @contextmanager
    def _timed(self, phase: str) -> Iterator[None]:
        """Record the wall time of ``phase`` in :attr:`last_load` (also when it fails)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.last_load[phase] = time.perf_counter() - start

    @contextmanager
    def _guarded(self, what: str) -> Iterator[None]:
        """Serialise access and turn driver errors into :class:`ServingError`."""
        with self._lock:
            try:
                yield
            except self._driver_errors as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise ServingError(
                    f"{what} failed on {self.url}: {type(exc).__name__}: {first}."
                    " The transaction was rolled back; existing tables are unchanged."
                ) from exc


def _spec(name: str) -> TableSpec:
    try:
        return TABLES[name]
    except KeyError:
        raise ServingError(
            f"unknown serving table {name!r}; known tables: {', '.join(sorted(TABLES))}"
        ) from None
