"""Gold state vectors: the Lambda merge of batch silver and speed silver, hour by hour.

The rule, per UTC (date, hour):

- if the batch layer has loaded that hour (a bronze partition exists), gold holds exactly the
  batch silver rows of the hour (``data_source = 'batch'``), even if the speed layer also
  wrote it: a later batch load supersedes the speed data;
- otherwise gold holds the speed silver rows of the hour (``data_source = 'speed'``), excluding
  simulated fallback states (``source = 'simulator-fallback'``), which never count as
  observations;
- never both, so nothing is counted twice.

Each gold hour records the signature of the input it was built from; an unchanged input is not
rewritten, so the merge is idempotent and incremental.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from aerolake.batch.lineage import Lineage, signature
from aerolake.lake import (
    BRONZE_STATES,
    GOLD_STATES,
    SILVER_SPEED_STATES,
    SILVER_STATES,
    Lake,
    Partition,
)
from aerolake.lake import partition_path as ppath
from aerolake.schema import GOLD_STATE_SCHEMA, SILVER_SCHEMA

__all__ = ["GOLD_STATE_SCHEMA", "MergeSummary", "merge_gold"]

FALLBACK_SOURCE = "simulator-fallback"


@dataclass
class MergeSummary:
    batch_hours: int = 0
    speed_hours: int = 0
    unchanged_hours: int = 0
    removed_hours: int = 0
    rows: int = 0
    changed: list[Partition] = field(default_factory=list)


def merge_gold(
    lake: Lake, *, full: bool = False, on_hour: Callable[[Partition], None] | None = None
) -> MergeSummary:
    """Bring every gold hour in line with the merge rule. Returns the hours that changed."""
    lineage = Lineage(lake, "gold")
    batch_hours = {ppath(p): p for p in lake.partitions(BRONZE_STATES)}
    speed_hours = {ppath(p): p for p in lake.partitions(SILVER_SPEED_STATES)}
    gold_hours = {ppath(p): p for p in lake.partitions(GOLD_STATES)}
    summary = MergeSummary()
    changes: dict[str, str | None] = {}
    for key in sorted(batch_hours.keys() | speed_hours.keys() | gold_hours.keys()):
        partition = batch_hours.get(key) or speed_hours.get(key) or gold_hours[key]
        if key in batch_hours:
            side, table = "batch", SILVER_STATES
        elif key in speed_hours:
            side, table = "speed", SILVER_SPEED_STATES
        else:  # its inputs are gone: gold follows
            lake.delete_partition(GOLD_STATES, partition)
            changes[key] = None
            summary.removed_hours += 1
            summary.changed.append(partition)
            continue
        sig = signature([lake.manifest(table, partition)], side)
        if not full and lineage.get(key) == sig:
            summary.unchanged_hours += 1
            continue
        if side == "batch":
            manifest = lake.copy_partition(SILVER_STATES, GOLD_STATES, partition, "gold-batch")
            rows = manifest.rows if manifest else 0
        else:
            speed = _read_speed(lake, partition)
            rows = speed.num_rows
            if rows:
                lake.replace_partition(
                    GOLD_STATES, partition, speed, "gold-speed", GOLD_STATE_SCHEMA
                )
            elif lake.manifest(GOLD_STATES, partition) is not None:
                lake.delete_partition(GOLD_STATES, partition)
        changes[key] = sig
        summary.rows += rows
        summary.changed.append(partition)
        if side == "batch":
            summary.batch_hours += 1
        else:
            summary.speed_hours += 1
        if on_hour is not None:
            on_hour(partition)
    lineage.update(changes)
    return summary


def _read_speed(lake: Lake, partition: Partition) -> pa.Table:
    rows = lake.read(SILVER_SPEED_STATES, [partition], columns=SILVER_SCHEMA.names)
    rows = rows.cast(SILVER_SCHEMA).filter(pc.not_equal(rows.column("source"), FALLBACK_SOURCE))
    # Several micro-batches may overlap after a replay from an older offset: keep one row
    # per (icao24, time), the first in (icao24, time, ingested_at) order.
    rows = _dedupe(
        rows.sort_by([("icao24", "ascending"), ("time", "ascending"), ("ingested_at", "ascending")])
    )
    return rows.append_column(
        GOLD_STATE_SCHEMA.field("data_source"), pa.repeat(pa.scalar("speed"), rows.num_rows)
    )


def _dedupe(sorted_rows: pa.Table) -> pa.Table:
    if sorted_rows.num_rows < 2:
        return sorted_rows
    icao = sorted_rows.column("icao24").combine_chunks()
    time = sorted_rows.column("time").combine_chunks()
    same = pc.and_(
        pc.equal(icao.slice(1), icao.slice(0, len(icao) - 1)),
        pc.equal(time.slice(1), time.slice(0, len(time) - 1)),
    )
    keep = pa.concat_arrays([pa.array([True]), pc.invert(same)])
    return sorted_rows.filter(keep)
