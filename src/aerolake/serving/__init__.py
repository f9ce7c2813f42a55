"""Serving layer: the database the API reads, loaded atomically from the analytics tables.

- :mod:`.ddl` — the reviewed DDL files (``ddl/*.sql``) parsed into table specs.
- :mod:`.target` — the :class:`ServingTarget` interface and ``open_target(url)``.
- :mod:`.duckdb_target`, :mod:`.postgres_target` — the adapters.
- :mod:`.runs`, :mod:`.health`, :mod:`.report` — run records, health probes, the metrics report.
"""

from __future__ import annotations

from aerolake.serving.connect import Retry
from aerolake.serving.ddl import DATA_TABLES, META_TABLES, TABLES, TableSpec
from aerolake.serving.target import TARGETS, ServingTarget, open_target

__all__ = [
    "DATA_TABLES",
    "META_TABLES",
    "TABLES",
    "TARGETS",
    "Retry",
    "ServingTarget",
    "TableSpec",
    "open_target",
]
