"""The two small source interfaces and their registry.

- :class:`LiveSource` answers "what is in the sky now" (OpenSky REST, simulator live mode).
- :class:`BatchSource` streams a finite history in bounded memory (files, simulator history).

Both yield Arrow data in :data:`aerolake.schema.STATE_SCHEMA`; nothing downstream knows which
source it came from except by the ``source`` provenance column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa

from aerolake.schema import STATE_SCHEMA


@dataclass(frozen=True)
class SourceCheck:
    """What ``aerolake sources check`` prints: a probe of a source, never secrets."""

    source: str
    reachable: bool
    auth: str  # "ok", "anonymous", "failed: ...", "n/a"
    credits_left: int | None
    states: int
    sample: list[dict[str, object]] = field(default_factory=list)
    message: str = ""


class LiveSource(Protocol):
    name: str

    def poll(self) -> pa.RecordBatch:
        """One snapshot of the current states. Raises a :class:`~aerolake.errors.SourceError`."""
        ...

    def check(self) -> SourceCheck:
        """Probe the source: reachability, auth, credits, a sample. Never raises."""
        ...


class BatchSource(Protocol):
    name: str

    def batches(self) -> Iterator[pa.RecordBatch]:
        """All states, in bounded memory (batches of at most ~1M rows)."""
        ...


def with_provenance(
    data: pa.Table | pa.RecordBatch,
    *,
    source: str,
    batch_id: str,
    ingested_at: dt.datetime,
    origin_country: pa.Array | None = None,
) -> pa.RecordBatch:
    """Cast the 16 OpenSky columns to the canonical types and append provenance.

    ``data`` must hold the 16 OpenSky columns (any order; extra columns are dropped).
    ``ingested_at`` must be timezone-aware UTC.
    """
    if ingested_at.tzinfo is None:
        raise ValueError("ingested_at must be timezone-aware UTC")
    n = data.num_rows
    cols: list[pa.Array] = []
    for fld in STATE_SCHEMA:
        if fld.name == "origin_country":
            if origin_country is not None:
                arr = origin_country
            elif "origin_country" in data.schema.names:
                arr = data.column("origin_country")
            else:
                arr = pa.nulls(n, pa.string())
        elif fld.name == "source":
            arr = pa.repeat(pa.scalar(source, pa.string()), n)
        elif fld.name == "ingested_at":
            arr = pa.repeat(pa.scalar(ingested_at, fld.type), n)
        elif fld.name == "batch_id":
            arr = pa.repeat(pa.scalar(batch_id, pa.string()), n)
        else:
            arr = data.column(fld.name)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        cols.append(arr.cast(fld.type))
    return pa.RecordBatch.from_arrays(cols, schema=STATE_SCHEMA)
