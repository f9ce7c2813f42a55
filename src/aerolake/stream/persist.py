"""The speed layer's lake sink: every enriched state into ``silver/speed_state_vectors``.

Exactly-once by construction, without coordination:

- Each topic partition's log is cut into **segments** of exactly ``segment_offsets`` offsets,
  starting at the offset the consumer group had committed when the segment began (the first
  offset of a fresh log otherwise). A segment's bounds therefore depend on the log alone, not on
  how polls happened to batch it: ``[first, first + segment_offsets)``.
- A segment's rows are written under the file key ``{topic}-p{partition}-{first:012d}`` in every
  UTC (date, hour) partition its rows fall in (by state ``time``). While the segment is open
  each flush *rewrites* those files with all of its rows so far, so the lake stays fresh.
- The consumer offset is committed only when a segment is complete and its files are durable,
  and it is committed to the segment's end, which is the next segment's first offset.

A crash anywhere replays from the open segment's first offset: the replay rebuilds the same
segment under the same key and overwrites. A segment is never split differently, so no row can
be in two files. Between the crash and the end of the replay a file may briefly hold fewer rows
than before (never more), which the next flush corrects.

Rows with ``persist`` false (simulated fallback states) are not written: they keep the live map
alive and never enter the lake as observations. Written columns: :data:`SILVER_SCHEMA` plus
``flight_id`` (the batch merge reads only the silver columns).

Writers: the lake allows one writer per table at a time, so several processor instances
(scale-out) serialise their writes with an advisory file lock (``lock_path``; local hosts only —
on S3 with several hosts the lake itself would need conditional manifest writes).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from aerolake.batch.hours import split_by_hour
from aerolake.lake import SILVER_SPEED_STATES, Lake, partition_path
from aerolake.schema import SILVER_SCHEMA
from aerolake.stream.bus import TopicPartition

log = logging.getLogger(__name__)

#: What the sink writes: silver columns plus the flight the tracker assigned.
SPEED_SILVER_SCHEMA: Final[pa.Schema] = SILVER_SCHEMA.append(
    pa.field("flight_id", pa.string(), nullable=False)
)
DEFAULT_SEGMENT_OFFSETS: Final[int] = 20_000


def segment_key(tp: TopicPartition, first: int) -> str:
    """The file key of the segment of ``tp`` starting at offset ``first``."""
    return f"{tp[0]}-p{tp[1]}-{first:012d}"


def persistable(enriched: pa.Table) -> pa.Table:
    """Rows to write (``persist`` true) in :data:`SPEED_SILVER_SCHEMA`. Pure."""
    keep = enriched.filter(pc.fill_null(enriched.column("persist"), False))
    return keep.select(SPEED_SILVER_SCHEMA.names).cast(SPEED_SILVER_SCHEMA)


@dataclass
class Segment:
    """The open segment of one topic partition: offsets ``[first, end)``, read up to ``next``."""

    tp: TopicPartition
    first: int
    end: int
    next: int
    tables: list[pa.Table] = field(default_factory=list)
    rows: int = 0
    dirty: bool = False

    @property
    def key(self) -> str:
        return segment_key(self.tp, self.first)

    @property
    def complete(self) -> bool:
        return self.next >= self.end

    def room(self, offset: int) -> bool:
        """Whether ``offset`` belongs to this segment."""
        return self.first <= offset < self.end


class SpeedSink:
    """Open segments per topic partition; :meth:`flush` makes them durable.

    The caller must :meth:`open` a segment at the first offset it reads after an assignment,
    :meth:`add` each processed slice (never crossing :attr:`Segment.end`), and commit exactly
    the offsets :meth:`flush` returns, after it returns.
    """

    def __init__(
        self,
        lake: Lake,
        *,
        segment_offsets: int = DEFAULT_SEGMENT_OFFSETS,
        lock_path: Path | None = None,
    ) -> None:
        if segment_offsets < 1:
            raise ValueError("segment_offsets must be at least 1")
        self.lake = lake
        self.segment_offsets = segment_offsets
        self.lock_path = lock_path
        self.segments: dict[TopicPartition, Segment] = {}
        self.rows_written = 0  # rewrites of an open segment count again
        self.files_written = 0

    def segment(self, tp: TopicPartition, offset: int) -> Segment:
        """The open segment of ``tp``, opened at ``offset`` if there is none."""
        seg = self.segments.get(tp)
        if seg is None:
            seg = Segment(tp, offset, offset + self.segment_offsets, offset)
            self.segments[tp] = seg
        return seg

    def add(self, tp: TopicPartition, next_offset: int, enriched: pa.Table) -> None:
        """Record a processed slice of ``tp`` that ends before ``next_offset``."""
        seg = self.segments[tp]
        if next_offset > seg.end:
            raise ValueError(f"slice of {tp} ends at {next_offset}, past its segment {seg.end}")
        rows = persistable(enriched)
        if rows.num_rows:
            seg.tables.append(rows)
            seg.rows += rows.num_rows
        seg.next = max(seg.next, next_offset)
        seg.dirty = True

    def drop(self, tps: list[TopicPartition]) -> None:
        """Forget segments of partitions this instance no longer owns (no write: the new owner
        replays them from the committed offset)."""
        for tp in tps:
            self.segments.pop(tp, None)

    def flush(self) -> dict[TopicPartition, int]:
        """Write every changed segment, then close complete ones.

        Returns the offsets that may now be committed (ends of closed segments). Files are
        durable (committed manifests) when this returns.
        """
        dirty = [s for s in self.segments.values() if s.dirty]
        if any(s.rows for s in dirty):
            with self._locked():
                for seg in dirty:
                    self._write(seg)
        commits: dict[TopicPartition, int] = {}
        for seg in dirty:
            seg.dirty = False
            if seg.complete:
                commits[seg.tp] = seg.end
                del self.segments[seg.tp]
        return commits

    def _write(self, seg: Segment) -> None:
        if not seg.rows:
            return
        table = pa.concat_tables(seg.tables)
        seg.tables = [table]
        with self.lake.staged(SILVER_SPEED_STATES) as stage:
            for partition, rows in split_by_hour(table):
                sorted_rows = rows.sort_by([("icao24", "ascending"), ("time", "ascending")])
                stage.add(partition, seg.key, sorted_rows, SPEED_SILVER_SCHEMA)
                self.files_written += 1
                log.debug("speed sink: %s -> %s", seg.key, partition_path(partition))
        self.rows_written += seg.rows

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        if self.lock_path is None:
            yield
            return
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
