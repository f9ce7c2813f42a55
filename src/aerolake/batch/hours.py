"""Splitting state vectors into the lake's UTC (date, hour) partitions. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from aerolake.lake import Partition


def hour_partition(hour_start_s: int) -> Partition:
    """``{"date": "YYYY-MM-DD", "hour": H}`` of the UTC hour starting at ``hour_start_s``."""
    start = dt.datetime.fromtimestamp(hour_start_s, dt.UTC)
    return {"date": start.strftime("%Y-%m-%d"), "hour": start.hour}


def partition_start(partition: Partition) -> dt.datetime:
    """The UTC start of a ``{"date", "hour"}`` partition."""
    day = dt.date.fromisoformat(str(partition["date"]))
    return dt.datetime(day.year, day.month, day.day, int(partition["hour"]), tzinfo=dt.UTC)


def split_by_hour(data: pa.Table | pa.RecordBatch) -> Iterator[tuple[Partition, pa.Table]]:
    """Rows grouped by the UTC hour of their ``time`` column, in hour order; row order kept."""
    table = pa.Table.from_batches([data]) if isinstance(data, pa.RecordBatch) else data
    if table.num_rows == 0:
        return
    hours = table.column("time").to_numpy(zero_copy_only=False).astype(np.int64) // 3600
    order = np.argsort(hours, kind="stable")
    sorted_hours = hours[order]
    bounds = np.flatnonzero(np.diff(sorted_hours)) + 1
    for chunk in np.split(np.arange(len(order)), bounds):
        hour = int(sorted_hours[chunk[0]])
        yield hour_partition(hour * 3600), table.take(pa.array(order[chunk]))
