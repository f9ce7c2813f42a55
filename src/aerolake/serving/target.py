"""The serving target interface and its registry, keyed by URL scheme.

``open_target(url)`` picks the adapter: ``duckdb:///...`` (default, in-process) or
``postgresql://...`` (psycopg 3, imported by that adapter only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import pyarrow as pa

from aerolake.errors import ServingError
from aerolake.serving.connect import Retry
from aerolake.serving.duckdb_target import DuckDBTarget
from aerolake.serving.postgres_target import PostgresTarget
from aerolake.settings import redact_url


class ServingTarget(Protocol):
    """Where the analytics tables are served from. See :mod:`aerolake.serving.sql_target`."""

    url: str  # password redacted

    def replace_tables(
        self, tables: Mapping[str, pa.Table], *, watermark: Mapping[str, str] | None = None
    ) -> None:
        """Atomically replace whole tables (and upsert watermarks) in one transaction."""

    def replace_partitions(
        self,
        table: str,
        data: pa.Table,
        key_column: str,
        keys: Sequence[Any],
        *,
        watermark: Mapping[str, str] | None = None,
    ) -> None:
        """Atomically replace the rows whose ``key_column`` is in ``keys`` (and watermarks)."""

    def apply(
        self,
        *,
        replace: Mapping[str, pa.Table] | None = None,
        partitions: Mapping[str, tuple[str, Sequence[Any], pa.Table]] | None = None,
        watermark: Mapping[str, str] | None = None,
    ) -> None:
        """Whole-table and partition replacements plus watermarks in one transaction."""

    def upsert(self, table: str, data: pa.Table) -> None:
        """Insert or update rows by primary key (run records)."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run a read-only query with ``$1``-style parameters."""

    def watermark(self, name: str) -> str | None:
        """The watermark stored with the data, or None."""

    def table_exists(self, table: str) -> bool: ...

    def migrate(self) -> list[str]:
        """Explicitly set aside tables whose schema differs from the DDL; returns new names."""

    def close(self) -> None: ...


TargetFactory = Callable[..., ServingTarget]

#: URL scheme -> adapter. Each takes ``(url, *, retry=Retry())``.
TARGETS: dict[str, TargetFactory] = {
    "duckdb": DuckDBTarget,
    "postgresql": PostgresTarget,
    "postgres": PostgresTarget,
}


def open_target(url: str, *, retry: Retry | None = None) -> ServingTarget:
    """Open the serving target named by ``url``; bookkeeping tables are created if missing.

    Raises :class:`ServingError` for an unknown scheme, after bounded connection retries, or
    when an existing bookkeeping table does not match its DDL.
    """
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    factory = TARGETS.get(scheme)
    if factory is None:
        raise ServingError(
            f"unsupported serving URL {redact_url(url)!r}: expected one of "
            + ", ".join(f"{s}://..." for s in sorted(TARGETS))
        )
    return factory(url, retry=retry or Retry())
