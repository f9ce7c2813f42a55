"""Lineage: which input a derived lake partition was built from, for incremental runs.

A derived partition (silver hour, gold hour, gold flights day) records the signature of the
input it was built from. A step rebuilds a partition only when its input's signature changed,
so re-running a step on unchanged input writes nothing. Stored in the lake itself as a small
unpartitioned table ``_ledger/<step>`` (one manifest commit per update, so it works on S3).
The record is written after the partitions it describes: a crash in between only causes a
rebuild of the same content (idempotent writes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

import pyarrow as pa

from aerolake.lake import Lake, Manifest

LINEAGE_SCHEMA = pa.schema(
    [pa.field("partition", pa.string(), nullable=False), pa.field("signature", pa.string())]
)


def signature(manifests: Iterable[Manifest | None], *extra: str) -> str:
    """A digest of the committed files of some partitions (content hashes) plus ``extra``."""
    digest = hashlib.sha256()
    for manifest in manifests:
        if manifest is None:
            digest.update(b"-")
            continue
        for entry in manifest.files:
            digest.update(entry.sha256.encode())
        digest.update(b"|")
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()[:32]


class Lineage:
    """The lineage records of one step (``silver``, ``gold``, ``flights``)."""

    def __init__(self, lake: Lake, step: str) -> None:
        self._lake = lake
        self.table = f"_ledger/{step}"
        self._records: dict[str, str] | None = None

    def records(self) -> dict[str, str]:
        if self._records is None:
            data = self._lake.read(self.table) if self._lake.partitions(self.table) else None
            self._records = (
                {}
                if data is None
                else dict(
                    zip(
                        data.column("partition").to_pylist(),
                        data.column("signature").to_pylist(),
                        strict=True,
                    )
                )
            )
        return self._records

    def get(self, partition: str) -> str | None:
        return self.records().get(partition)

    def update(self, changes: Mapping[str, str | None]) -> None:
        """Set (or, with None, forget) signatures and commit the whole record atomically."""
        if not changes:
            return
        records = dict(self.records())
        for partition, sig in changes.items():
            if sig is None:
                records.pop(partition, None)
            else:
                records[partition] = sig
        keys = sorted(records)
        table = pa.table(
            {"partition": keys, "signature": [records[k] for k in keys]}, schema=LINEAGE_SCHEMA
        )
        self._lake.replace_partition(self.table, {}, table, file_key="lineage")
        self._records = records
