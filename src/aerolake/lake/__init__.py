"""The Parquet lake: bronze / silver / gold tables with manifest commits on any pyarrow
filesystem (local folder or S3). See :mod:`aerolake.lake.store` for the commit protocol."""

from __future__ import annotations

from aerolake.lake.ledger import Entry as LedgerEntry
from aerolake.lake.ledger import IngestLedger, bronze_file_key
from aerolake.lake.manifest import FileEntry, Manifest
from aerolake.lake.paths import (
    BRONZE_STATES,
    DUCKDB_HIVE_TYPES,
    GOLD_FLIGHTS,
    GOLD_STATES,
    LEDGER_INGEST,
    PARTITION_TYPES,
    SILVER_QUARANTINE,
    SILVER_SPEED_STATES,
    SILVER_STATES,
    Partition,
    partition_path,
)
from aerolake.lake.staging import Stage
from aerolake.lake.store import Lake

__all__ = [
    "BRONZE_STATES",
    "DUCKDB_HIVE_TYPES",
    "GOLD_FLIGHTS",
    "GOLD_STATES",
    "LEDGER_INGEST",
    "PARTITION_TYPES",
    "SILVER_QUARANTINE",
    "SILVER_SPEED_STATES",
    "SILVER_STATES",
    "FileEntry",
    "IngestLedger",
    "Lake",
    "LedgerEntry",
    "Manifest",
    "Partition",
    "Stage",
    "bronze_file_key",
    "partition_path",
]
