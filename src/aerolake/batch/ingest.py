"""``aerolake ingest``: source files -> bronze, as received plus provenance.

Per source file, all or nothing: its rows are staged (spilled to local temporary Parquet per
hour so memory stays bounded), then committed to the bronze partitions it touches; a corrupt
file aborts its own stage, is reported with its name and position, and the other files go on.
The ingest ledger makes re-runs cheap and exact: an unchanged file is skipped (unless
``force``), a changed file replaces its own earlier rows. Ledger entries are recorded after the
bronze commit, so a crash in between only means the file is ingested again (idempotent).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from aerolake.batch.hours import split_by_hour
from aerolake.errors import CorruptInput
from aerolake.lake import BRONZE_STATES, IngestLedger, Lake, LedgerEntry, Partition, partition_path
from aerolake.lake.ledger import bronze_file_key, file_checksum, retire
from aerolake.schema import STATE_SCHEMA
from aerolake.sources.files import FilesSource


@dataclass
class FileResult:
    path: str
    status: str  # "ingested", "replaced", "unchanged", "failed", "empty"
    rows: int = 0
    message: str = ""


@dataclass
class IngestSummary:
    files: list[FileResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]


def ingest(
    lake: Lake,
    inputs: Sequence[str | Path],
    *,
    force: bool = False,
    on_file: Callable[[FileResult], None] | None = None,
) -> IngestSummary:
    """Ingest files, directories or globs into bronze. Never raises for one bad file."""
    source = FilesSource(list(inputs))
    ledger = IngestLedger(lake)
    summary = IngestSummary()
    for path in source.files():
        result = _ingest_one(lake, ledger, source, path, force)
        summary.files.append(result)
        if on_file is not None:
            on_file(result)
    return summary


def _ingest_one(
    lake: Lake, ledger: IngestLedger, source: FilesSource, path: Path, force: bool
) -> FileResult:
    name = str(path.resolve())
    try:
        checksum, size = file_checksum(name)
    except Exception as exc:  # unreadable: that file's failure alone
        return FileResult(name, "failed", message=str(exc))
    verdict = ledger.should_ingest(name, checksum, force)
    if verdict == "unchanged":
        return FileResult(name, "unchanged")
    key = bronze_file_key(name, checksum)
    ingested_at = dt.datetime.now(dt.UTC)
    rows = 0
    batch_id = ""
    try:
        with (
            tempfile.TemporaryDirectory(prefix="aerolake-ingest-") as spill,
            lake.staged(BRONZE_STATES) as stage,
        ):
            writers: dict[str, tuple[Partition, pq.ParquetWriter, str]] = {}
            try:
                for batch in source.read_file(path, checksum=checksum):
                    batch_id = batch_id or str(batch.column("batch_id")[0])
                    rows += batch.num_rows
                    for partition, part in split_by_hour(batch):
                        _spill(writers, spill, partition, part)
            finally:
                for _, writer, _ in writers.values():
                    writer.close()
            old = ledger.lookup(name)
            if old is not None:
                retire(stage, old)
            for partition, _, spill_path in writers.values():
                stage.add(partition, key, _read_spill(spill_path), STATE_SCHEMA)
            partitions = tuple(partition_path(p) for p in stage.partitions_with(key))
    except CorruptInput as exc:
        return FileResult(name, "failed", message=str(exc))
    ledger.record(LedgerEntry(name, checksum, size, rows, batch_id or key, partitions, ingested_at))
    status = "empty" if rows == 0 else ("replaced" if verdict == "changed" else "ingested")
    return FileResult(name, status, rows)


def _spill(
    writers: dict[str, tuple[Partition, pq.ParquetWriter, str]],
    spill_dir: str,
    partition: Partition,
    rows: pa.Table,
) -> None:
    key = partition_path(partition)
    if key not in writers:
        spill_path = f"{spill_dir}/{len(writers)}.parquet"
        writers[key] = (partition, pq.ParquetWriter(spill_path, STATE_SCHEMA), spill_path)
    writers[key][1].write_table(rows.cast(STATE_SCHEMA))


def _read_spill(spill_path: str) -> Iterator[pa.RecordBatch]:
    yield from pq.ParquetFile(spill_path).iter_batches(batch_size=1 << 20)
