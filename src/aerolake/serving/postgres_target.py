"""PostgreSQL as the serving database (``postgresql://user:password@host:port/db``, psycopg 3).

Bulk loads stream Arrow record batches, encoded as PostgreSQL's binary COPY format by
:mod:`.pgbinary` (no text parsing on the server), into ``COPY ... FROM STDIN (FORMAT binary)``.
A full load builds each ``<table>__staging`` (COPY FREEZE) on its own connection, in
parallel, and commits it, then builds the primary key and indexes of all of them, several at
once on further connections; readers never use staging names. One short
transaction on the main connection then applies partition replacements, renames the live
tables aside and the staging ones in, and writes the watermarks: readers block on the lock for
that instant (catalog updates only) and then see the new tables; the replaced tables are
dropped after the commit. psycopg is imported here only.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any

import pyarrow as pa

from aerolake.errors import ServingError
from aerolake.serving.connect import Retry, connect_with_retry
from aerolake.serving.ddl import TableSpec, create_index_sql, create_table_sql, quote
from aerolake.serving.pgbinary import HEADER, TRAILER, copy_order, encode_batch
from aerolake.serving.sql_target import SqlTarget

#: Rows per chunk encoded and handed to COPY: bounds memory, large enough to amortise calls.
COPY_BATCH_ROWS = 65_536
#: maintenance_work_mem for the index builds of a full load (SET LOCAL, this load only).
BULK_MAINTENANCE_WORK_MEM = "256MB"

#: Index builds run at once, each on its own connection (PostgreSQL may add its own parallel
#: workers to each). 0 builds them one after the other in the table's COPY transaction.
INDEX_BUILDERS = 3

#: OID -> Arrow type for query results (anything else is returned as text).
_OID_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    25: pa.string(),
    700: pa.float32(),
    701: pa.float64(),
    1043: pa.string(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
    1700: pa.float64(),
}


class PostgresTarget(SqlTarget):
    """Serving target on a PostgreSQL database. Queries use a separate read-only connection."""

    def __init__(self, url: str, *, retry: Retry | None = None) -> None:
        import psycopg

        super().__init__(url)
        self._raw_url = url
        self._retry = retry or Retry()
        self._driver_errors = (psycopg.Error,)
        self._conn = self._connect(read_only=False)
        self._reader: Any = None
        self._reader_lock = threading.Lock()
        self.index_builders = INDEX_BUILDERS
        self._ensure_meta_tables()

    def _connect(self, *, read_only: bool) -> Any:
        import psycopg

        options = "-c TimeZone=UTC"
        if read_only:
            options += " -c default_transaction_read_only=on"

        def connect() -> Any:
            return psycopg.connect(
                self._raw_url,
                autocommit=True,
                connect_timeout=5,
                options=options,
                cursor_factory=psycopg.RawCursor,
            )

        return connect_with_retry(connect, self._raw_url, self._retry, (psycopg.OperationalError,))

    def query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run a read-only query (``$1``-style parameters) on the reader connection."""
        import psycopg

        with self._reader_lock:
            if self._reader is None or self._reader.closed:
                self._reader = self._connect(read_only=True)
            try:
                with self._reader.cursor() as cur:
                    cur.execute(sql, list(params) or None)
                    if cur.description is None:
                        return pa.table({})
                    names = [d.name for d in cur.description]
                    types = [_OID_TYPES.get(d.type_code, pa.string()) for d in cur.description]
                    rows = cur.fetchall()
            except psycopg.Error as exc:
                raise ServingError(f"query failed on {self.url}: {exc}") from exc
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
        arrays = [_array(list(col), typ) for col, typ in zip(columns, types, strict=True)]
        return pa.Table.from_arrays(arrays, names=names)

    def close(self) -> None:
        self._conn.close()
        if self._reader is not None:
            self._reader.close()

    # --- adapter hooks -----------------------------------------------------------------------

    def _live(self) -> Any:
        if self._conn.closed or self._conn.broken:
            self._conn = self._connect(read_only=False)
        return self._conn

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._live().execute(sql, list(params) or None)

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self._live().cursor() as cur:
                cur.executemany(sql, [list(r) for r in rows])

    def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._live().cursor() as cur:
            cur.execute(sql, list(params) or None)
            return list(cur.fetchall())

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._live().transaction():
            yield

    def _tune_bulk_load(self) -> None:
        # Index builds sort in memory instead of spilling; reverts at the end of the transaction.
        self._execute(f"SET LOCAL maintenance_work_mem = '{BULK_MAINTENANCE_WORK_MEM}'")

    def _build_apart(self, prepared: Sequence[tuple[TableSpec, pa.Table]]) -> bool:
        """Build and commit every ``<table>__staging`` apart from the swap transaction.

        Each table is created and loaded (COPY FREEZE) on its own connection, in parallel, and
        committed; its primary key and indexes are then built by sorting, up to
        :attr:`index_builders` at a time on further connections, each as soon as its table is
        loaded (0: after the COPY, in the same transaction, one after the other). Readers never
        look at staging names, so committing them early is invisible; the swap transaction
        then only renames and writes watermarks. A staging table left by a failure or a
        crash is dropped first by the next load of that table.
        """
        if not prepared:
            return True
        try:
            with (
                ThreadPoolExecutor(max_workers=len(prepared)) as loaders,
                ThreadPoolExecutor(max_workers=max(self.index_builders, 1)) as builders,
            ):

                def load(spec: TableSpec, data: pa.Table) -> list[Future[None]]:
                    self._load_staging(spec, data)
                    if not self.index_builders:
                        return []
                    return [
                        builders.submit(self._run_apart, phase, sql)
                        for phase, sql in self._index_sql(spec)
                    ]

                loads = [loaders.submit(load, spec, data) for spec, data in prepared]
                try:
                    for index_builds in [loaded.result() for loaded in loads]:
                        for built in index_builds:
                            built.result()
                except BaseException:
                    builders.shutdown(cancel_futures=True)  # the load fails: build no more
                    raise
            if self.index_builders:
                for spec, _ in prepared:  # instant: the unique index exists, NOT NULL holds
                    pkey = quote(spec.name + self.staging_suffix + "_pkey")
                    self._execute(
                        f"ALTER TABLE {quote(spec.name + self.staging_suffix)}"
                        f" ADD CONSTRAINT {pkey} PRIMARY KEY USING INDEX {pkey}"
                    )
        except BaseException:
            with suppress(*self._driver_errors):  # best effort; the next load drops them anyway
                for spec, _ in prepared:
                    self._execute(f"DROP TABLE IF EXISTS {quote(spec.name + self.staging_suffix)}")
            raise
        return True

    def _load_staging(self, spec: TableSpec, data: pa.Table) -> None:
        """Create ``<table>__staging`` without primary key (its columns stay NOT NULL), COPY
        FREEZE into it and commit; with ``index_builders == 0`` also build its indexes."""
        build = spec.name + self.staging_suffix
        conn = self._connect(read_only=False)
        try:
            with conn.transaction():
                _tune(conn)
                conn.execute(f"DROP TABLE IF EXISTS {quote(build)}")
                conn.execute(create_table_sql(spec, build))
                conn.execute(f"ALTER TABLE {quote(build)} DROP CONSTRAINT {quote(build + '_pkey')}")
                with self._timed(f"{spec.name}: copy"):
                    encode_s = _copy(conn, build, data, fresh=True)
                self.last_load[f"{spec.name}: client encode (overlaps copy)"] = encode_s
                if not self.index_builders:
                    with self._timed(f"{spec.name}: primary key + indexes"):
                        for _, sql in self._index_sql(spec):
                            conn.execute(sql)
                        pkey = quote(build + "_pkey")
                        conn.execute(
                            f"ALTER TABLE {quote(build)}"
                            f" ADD CONSTRAINT {pkey} PRIMARY KEY USING INDEX {pkey}"
                        )
                committing = time.perf_counter()
            self.last_load[f"{spec.name}: commit"] = time.perf_counter() - committing
        finally:
            conn.close()

    def _index_sql(self, spec: TableSpec) -> list[tuple[str, str]]:
        """(phase name, CREATE INDEX) for the staging twin: unique primary key index first."""
        build = spec.name + self.staging_suffix
        columns = ", ".join(quote(c) for c in spec.primary_key)
        pkey = f"CREATE UNIQUE INDEX {quote(build + '_pkey')} ON {quote(build)} ({columns})"
        return [(f"{spec.name}: index {spec.name}_pkey", pkey)] + [
            (
                f"{spec.name}: index {index.name}",
                create_index_sql(index, build, index.name + self.staging_suffix),
            )
            for index in spec.indexes
        ]

    def _run_apart(self, phase: str, sql: str) -> None:
        """One statement on a connection of its own, committed; timed as ``phase``."""
        conn = self._connect(read_only=False)
        try:
            _tune(conn)
            with self._timed(phase):
                conn.execute(sql)
        finally:
            conn.close()

    def _bulk_insert(self, table: str, data: pa.Table, *, fresh: bool = False) -> None:
        _copy(self._live(), table, data, fresh=fresh)


def _tune(conn: Any) -> None:
    """Session settings for building staging tables (this connection only).

    Index builds sort in memory instead of spilling. Not waiting for a commit's WAL flush is
    safe here: the swap transaction commits synchronously, and its flush covers every earlier
    WAL record, so no reader can ever see a table whose data was lost.
    """
    conn.execute(f"SET maintenance_work_mem = '{BULK_MAINTENANCE_WORK_MEM}'")
    conn.execute("SET synchronous_commit = off")


def _copy(conn: Any, table: str, data: pa.Table, *, fresh: bool) -> float:
    """Binary COPY; the next batch is encoded on a worker thread while this one is sent.

    Returns the seconds spent encoding. A table created in this transaction is loaded with
    FREEZE: its rows need no later hint-bit rewrite or freezing vacuum, and no other
    transaction can see it before commit. Columns go in :func:`copy_order` (fastest to encode).
    """
    data = data.select(copy_order(data))
    cols = ", ".join(quote(c) for c in data.column_names)
    freeze = ", FREEZE" if fresh else ""
    sql = f"COPY {quote(table)} ({cols}) FROM STDIN (FORMAT binary{freeze})"
    batches = iter(data.to_batches(max_chunksize=COPY_BATCH_ROWS))
    spent = [0.0]

    def encode(batch: pa.RecordBatch) -> pa.Buffer:
        start = time.perf_counter()
        encoded = encode_batch(batch)
        spent[0] += time.perf_counter() - start
        return encoded

    with (
        ThreadPoolExecutor(max_workers=1) as pool,
        conn.cursor() as cur,
        cur.copy(sql) as copy,
    ):
        copy.write(HEADER)
        pending = [pool.submit(encode, b) for b in itertools.islice(batches, 1)]
        while pending:
            encoded = pending.pop().result()
            pending = [pool.submit(encode, b) for b in itertools.islice(batches, 1)]
            copy.write(memoryview(encoded))
        copy.write(TRAILER)
    return spent[0]


def _array(values: list[Any], typ: pa.DataType) -> pa.Array:
    if pa.types.is_string(typ):
        return pa.array([None if v is None else str(v) for v in values], pa.string())
    if pa.types.is_floating(typ):
        return pa.array([None if v is None else float(v) for v in values], typ)
    return pa.array(values, typ)
