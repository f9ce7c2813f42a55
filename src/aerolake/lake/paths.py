"""Where things live in the lake: table names, hive partition paths and data file names.

Tables are folders below the lake root. Partitioned tables use hive ``key=value`` folders:

- ``date`` — the UTC day as ``YYYY-MM-DD``; read back as a DATE (``pa.date32()``).
- ``hour`` — the UTC hour as an int 0-23, written **without** zero padding (``hour=7``), so that
  DuckDB's ``hive_partitioning`` (whose type autodetection leaves ``07`` a VARCHAR but makes ``7``
  a BIGINT) and Spark's partition inference both read an integer without extra options. Paths
  with a padded hour (``hour=07``) are accepted when read. Pass :data:`DUCKDB_HIVE_TYPES` to
  DuckDB for exact types (``DATE``, ``INTEGER``, as :data:`PARTITION_TYPES`).
- any other key is a string.

Key order in a path is fixed (``date``, ``hour``, then others alphabetically), whatever the
order of the partition mapping. Everything here is pure string work: no I/O.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from typing import Final

import pyarrow as pa

from aerolake.errors import LakeError

BRONZE_STATES: Final = "bronze/state_vectors"
SILVER_STATES: Final = "silver/state_vectors"
SILVER_SPEED_STATES: Final = "silver/speed_state_vectors"
SILVER_QUARANTINE: Final = "silver/quarantine"
GOLD_STATES: Final = "gold/state_vectors"
GOLD_FLIGHTS: Final = "gold/flights"
LEDGER_INGEST: Final = "_ledger/ingest"

#: Partition keys of each named table (``gold/flights`` is daily; the ledger is unpartitioned).
TABLE_PARTITION_KEYS: Final[Mapping[str, tuple[str, ...]]] = {
    BRONZE_STATES: ("date", "hour"),
    SILVER_STATES: ("date", "hour"),
    SILVER_SPEED_STATES: ("date", "hour"),
    SILVER_QUARANTINE: ("date", "hour"),
    GOLD_STATES: ("date", "hour"),
    GOLD_FLIGHTS: ("date",),
    LEDGER_INGEST: (),
}

#: Arrow types of the partition columns when read; keys not listed are strings.
PARTITION_TYPES: Final[Mapping[str, pa.DataType]] = {"date": pa.date32(), "hour": pa.int32()}

#: The same types for ``duckdb.read_parquet(..., hive_partitioning=True, hive_types=...)``.
DUCKDB_HIVE_TYPES: Final[Mapping[str, str]] = {"date": "DATE", "hour": "INTEGER"}

MANIFEST_PREFIX: Final = "_manifest-"
DATA_PREFIX: Final = "part-"

PartitionValue = str | int
Partition = dict[str, PartitionValue]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SAFE_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
_SAFE_VALUE_RE = re.compile(r"^[A-Za-z0-9_.:-]+$")
_KEY_ORDER: Final = {"date": 0, "hour": 1}


def normalize_partition(partition: Mapping[str, object]) -> Partition:
    """Validated copy in canonical key order: ``date`` a ``YYYY-MM-DD`` str, ``hour`` an int."""
    out: Partition = {}
    for key in sorted(partition, key=lambda k: (_KEY_ORDER.get(k, 2), k)):
        if not _SAFE_VALUE_RE.match(key) or "=" in key:
            raise LakeError(f"partition key {key!r} must be letters, digits or '_.-'")
        out[key] = _normalize_value(key, partition[key])
    return out


def _normalize_value(key: str, value: object) -> PartitionValue:
    if key == "date":
        if isinstance(value, dt.datetime):
            raise LakeError(f"partition date must be a date or 'YYYY-MM-DD', got datetime {value}")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, str) and _DATE_RE.match(value):
            try:
                dt.date.fromisoformat(value)
            except ValueError as exc:  # e.g. 2024-02-30
                raise LakeError(f"partition date {value!r} is not a calendar date") from exc
            return value
        raise LakeError(f"partition date must be 'YYYY-MM-DD', got {value!r}")
    if key == "hour":
        hour = value if isinstance(value, int) else int(str(value)) if str(value).isdigit() else -1
        if isinstance(hour, bool) or not 0 <= hour <= 23:
            raise LakeError(f"partition hour must be an int 0-23, got {value!r}")
        return hour
    text = str(value)
    if not _SAFE_VALUE_RE.match(text):
        raise LakeError(f"partition value {key}={text!r} must be letters, digits or '_.:-'")
    return text


def partition_path(partition: Mapping[str, object]) -> str:
    """``{"date": "2024-05-01", "hour": 7}`` -> ``date=2024-05-01/hour=7``; ``{}`` -> ``""``."""
    return "/".join(f"{k}={v}" for k, v in normalize_partition(partition).items())


def parse_partition_path(path: str) -> Partition:
    """Inverse of :func:`partition_path` (a padded ``hour=07`` is read as 7)."""
    raw: dict[str, str] = {}
    for segment in filter(None, path.split("/")):
        key, sep, value = segment.partition("=")
        if not sep:
            raise LakeError(f"expected a hive 'key=value' folder, found {segment!r} in {path!r}")
        raw[key] = value
    return normalize_partition(raw)


def matches(partition: Partition, wanted: Mapping[str, object]) -> bool:
    """True when every key of ``wanted`` (a possibly partial partition) has the same value."""
    norm = normalize_partition(wanted)
    return all(partition.get(k) == v for k, v in norm.items())


def partition_schema(keys: tuple[str, ...]) -> pa.Schema:
    return pa.schema([(k, PARTITION_TYPES.get(k, pa.string())) for k in keys])


def safe_key(file_key: str) -> str:
    """A file key fit for a file name: itself if short and plain, else a 24-hex digest of it."""
    if _SAFE_KEY_RE.match(file_key) and "--" not in file_key:
        return file_key
    return hashlib.sha256(file_key.encode()).hexdigest()[:24]


def data_file_name(file_key: str, seq: int, sha256: str) -> str:
    """``part-<key>--<seq>-<sha16>.parquet``: derived from the input key and the file content,
    so a replay reproduces the name and a changed content never overwrites a live file."""
    return f"{DATA_PREFIX}{safe_key(file_key)}--{seq:04d}-{sha256[:16]}.parquet"


def manifest_name(generation: int) -> str:
    return f"{MANIFEST_PREFIX}{generation:010d}.json"


def manifest_generation(name: str) -> int | None:
    """Generation number of a manifest file name, or None if ``name`` is not a manifest."""
    if not (name.startswith(MANIFEST_PREFIX) and name.endswith(".json")):
        return None
    digits = name[len(MANIFEST_PREFIX) : -len(".json")]
    return int(digits) if digits.isdigit() else None


def join(*parts: str) -> str:
    """Join lake path segments with ``/``, skipping empty ones; keeps a leading ``/``."""
    segs = [p for p in parts if p.strip("/")]
    if not segs:
        return ""
    return "/".join([segs[0].rstrip("/")] + [s.strip("/") for s in segs[1:]])
