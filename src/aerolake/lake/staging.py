"""Staged writes: everything one input produces, committed at the end or not at all.

``with lake.staged(table) as stage:`` writes data files as they are added (uncommitted, hence
invisible) and records per partition what to add, replace or remove. At the end of the block:

- if it raised, nothing is committed and the staged files are deleted — a corrupt input
  leaves nothing visible;
- otherwise each touched partition gets one manifest commit, in partition order.

Each partition's commit is atomic; the set of them is not. If the process dies after some
partitions committed, re-running the same input converges (writes are idempotent and
content-addressed). A crash before any commit leaves only orphan files, which the next commit
of that partition deletes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

from aerolake.lake.manifest import FileEntry
from aerolake.lake.parquet import Data
from aerolake.lake.paths import Partition, partition_path

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from aerolake.lake.store import Lake


@dataclass
class _Change:
    partition: Partition
    live: set[str]
    replace_all: bool = False
    remove_keys: set[str] = field(default_factory=set)
    add: dict[str, list[FileEntry]] = field(default_factory=dict)


class Stage:
    """Pending changes to one table; built by :meth:`Lake.staged`, not directly."""

    def __init__(self, lake: Lake, table: str) -> None:
        self._lake = lake
        self.table = table
        self._changes: dict[str, _Change] = {}
        self._written: list[str] = []
        self._closed = False

    @property
    def partitions(self) -> list[Partition]:
        """Partitions this stage touches, in commit order."""
        return [self._changes[p].partition for p in sorted(self._changes)]

    def partitions_with(self, file_key: str) -> list[Partition]:
        """Partitions that will hold files of ``file_key`` (what a ledger entry records)."""
        return [c.partition for _, c in sorted(self._changes.items()) if file_key in c.add]

    def add(
        self,
        partition: Mapping[str, object],
        file_key: str,
        data: Data,
        schema: pa.Schema | None = None,
    ) -> list[FileEntry]:
        """Add (or replace) the files of ``file_key`` in ``partition``; other keys stay."""
        change = self._change(partition)
        entries = self._write(change, file_key, data, schema)
        change.add[file_key] = entries
        change.remove_keys.discard(file_key)
        return entries

    def replace(
        self,
        partition: Mapping[str, object],
        file_key: str,
        data: Data,
        schema: pa.Schema | None = None,
    ) -> list[FileEntry]:
        """Make ``data`` (as ``file_key``) the partition's whole content."""
        change = self._change(partition)
        entries = self._write(change, file_key, data, schema)
        change.replace_all = True
        change.remove_keys.clear()
        change.add = {file_key: entries}
        return entries

    def remove(self, partition: Mapping[str, object], keys: Iterable[str]) -> None:
        """Drop the files of ``keys`` from ``partition`` (unless added again later)."""
        change = self._change(partition)
        for key in keys:
            change.remove_keys.add(key)
            change.add.pop(key, None)

    def commit(self) -> None:
        self._close(delete=False)
        for key in sorted(self._changes):
            change = self._changes[key]
            self._lake.commit(
                self.table,
                change.partition,
                replace_all=change.replace_all,
                remove_keys=change.remove_keys,
                add=change.add,
            )

    def abort(self) -> None:
        self._close(delete=True)

    def _close(self, delete: bool) -> None:
        if self._closed:
            return
        self._closed = True
        self._lake.release(self._written, delete=delete)

    def _change(self, partition: Mapping[str, object]) -> _Change:
        if self._closed:
            raise RuntimeError("this stage is closed: stage changes inside the with block")
        norm = self._lake.check_partition(self.table, partition)
        key = partition_path(norm)
        if key not in self._changes:
            current = self._lake.manifest(self.table, norm)
            live = {f.name for f in current.files} if current else set()
            self._changes[key] = _Change(norm, live)
        return self._changes[key]

    def _write(
        self, change: _Change, file_key: str, data: Data, schema: pa.Schema | None
    ) -> list[FileEntry]:
        return self._lake.write_files(
            self.table, change.partition, file_key, data, schema, change.live, self._written
        )
