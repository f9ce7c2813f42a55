"""The ingest ledger: which source files are in bronze, with which checksum.

Stored in the lake itself (table ``_ledger/ingest``, one Parquet file under a manifest, so it
is replaced atomically and works on S3). One row per source path, holding what the last
ingest of that path wrote.

How ``aerolake ingest`` uses it, per source file::

    verdict = ledger.should_ingest(path, checksum, force)   # "unchanged" -> skip
    with lake.staged(BRONZE_STATES) as stage:
        if old := ledger.lookup(path):
            retire(stage, old)                               # its previous rows go...
        key = bronze_file_key(path, checksum)
        for partition, rows in split_by_hour(table):
            stage.add(partition, key, rows)                  # ...in the same commits
    ledger.record(Entry(path, checksum, ..., partitions=paths of stage.partitions_with(key)))

The ledger is recorded after the bronze commit: a crash in between makes the next run ingest
the file again, which rewrites the same content-addressed files (idempotent). Record only
files that were ingested, so that re-running unchanged input leaves the lake unchanged.
Paths are compared as given: pass a canonical (absolute, resolved) path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

import pyarrow as pa
import pyarrow.fs as pafs

from aerolake.checksum import file_sha256
from aerolake.errors import LakeError
from aerolake.lake.paths import LEDGER_INGEST, Partition, parse_partition_path
from aerolake.lake.staging import Stage
from aerolake.lake.store import Lake

LEDGER_SCHEMA: Final = pa.schema(
    [
        pa.field("path", pa.string(), nullable=False),
        pa.field("checksum", pa.string(), nullable=False),  # hex sha256 of the file bytes
        pa.field("size", pa.int64(), nullable=False),  # bytes
        pa.field("rows", pa.int64(), nullable=False),  # rows written to bronze
        pa.field("batch_id", pa.string(), nullable=False),
        pa.field("partitions", pa.list_(pa.string()), nullable=False),  # "date=.../hour=..."
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)

Verdict = Literal["new", "changed", "unchanged"]


@dataclass(frozen=True)
class Entry:
    """One ingested source file. ``partitions`` are bronze partition paths it wrote to."""

    path: str
    checksum: str
    size: int
    rows: int
    batch_id: str
    partitions: tuple[str, ...]
    ingested_at: dt.datetime  # UTC

    def __post_init__(self) -> None:
        if self.ingested_at.utcoffset() != dt.timedelta(0):
            raise ValueError(f"ingested_at must be a UTC datetime, got {self.ingested_at!r}")

    @property
    def file_key(self) -> str:
        """Key of the bronze files this ingest wrote (see :func:`bronze_file_key`)."""
        return bronze_file_key(self.path, self.checksum)

    def partition_dicts(self) -> list[Partition]:
        return [parse_partition_path(p) for p in self.partitions]


def bronze_file_key(path: str, checksum: str) -> str:
    """``<path hash 12>-<checksum 16>``: the file's identity plus its content, so a replay of
    the same file overwrites its own files and a changed file gets new ones."""
    return f"{hashlib.sha256(path.encode()).hexdigest()[:12]}-{checksum[:16]}"


def retire(stage: Stage, old: Entry) -> None:
    """Stage removal of ``old``'s bronze files from every partition it wrote to. Call it
    before adding the new rows to the same stage (an add of the same key wins)."""
    for partition in old.partition_dicts():
        stage.remove(partition, [old.file_key])


def file_checksum(path: str, fs: pafs.FileSystem | None = None) -> tuple[str, int]:
    """(hex sha256, size in bytes) of a source file (:func:`aerolake.checksum.file_sha256`)."""
    try:
        return file_sha256(path, fs)
    except OSError as exc:
        raise LakeError(f"could not read {path} to checksum it: {exc}") from exc


class IngestLedger:
    """The ledger of one lake. Reads lazily; every :meth:`record` is one atomic commit."""

    def __init__(self, lake: Lake) -> None:
        self._lake = lake
        self._entries: dict[str, Entry] | None = None

    def entries(self) -> list[Entry]:
        return [self._load()[p] for p in sorted(self._load())]

    def lookup(self, path: str) -> Entry | None:
        return self._load().get(path)

    def should_ingest(self, path: str, checksum: str, force: bool = False) -> Verdict:
        """``new`` (never seen), ``changed`` (other checksum — or same one with ``force``:
        re-ingest replaces its own rows), else ``unchanged`` (skip it)."""
        old = self.lookup(path)
        if old is None:
            return "new"
        return "changed" if force or old.checksum != checksum else "unchanged"

    def record(self, *entries: Entry) -> None:
        """Insert or replace the entries (by path) and commit the ledger."""
        self._write([*self._load().values(), *entries])

    def forget(self, paths: Iterable[str]) -> None:
        gone = set(paths)
        self._write([e for e in self._load().values() if e.path not in gone])

    def _write(self, entries: Iterable[Entry]) -> None:
        by_path = {e.path: e for e in entries}
        rows = [_as_row(by_path[p]) for p in sorted(by_path)]
        table = pa.Table.from_pylist(rows, schema=LEDGER_SCHEMA)
        self._lake.replace_partition(LEDGER_INGEST, {}, table, "ledger", schema=LEDGER_SCHEMA)
        self._entries = by_path

    def _load(self) -> dict[str, Entry]:
        if self._entries is None:
            table = self._lake.read(LEDGER_INGEST, schema=LEDGER_SCHEMA)
            self._entries = {row["path"]: _as_entry(row) for row in table.to_pylist()}
        return self._entries


def _as_row(entry: Entry) -> dict[str, object]:
    return {
        "path": entry.path,
        "checksum": entry.checksum,
        "size": entry.size,
        "rows": entry.rows,
        "batch_id": entry.batch_id,
        "partitions": list(entry.partitions),
        "ingested_at": entry.ingested_at,
    }


def _as_entry(row: dict[str, object]) -> Entry:
    ingested_at = row["ingested_at"]
    assert isinstance(ingested_at, dt.datetime)
    return Entry(
        path=str(row["path"]),
        checksum=str(row["checksum"]),
        size=int(str(row["size"])),
        rows=int(str(row["rows"])),
        batch_id=str(row["batch_id"]),
        partitions=tuple(str(p) for p in row["partitions"]),  # type: ignore[attr-defined]
        ingested_at=ingested_at.astimezone(dt.UTC),
    )
