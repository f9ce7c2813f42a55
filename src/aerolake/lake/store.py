"""The lake: hive-partitioned Parquet tables with manifest commits, on any pyarrow filesystem.

Commit protocol, per partition (it holds on S3, which has no atomic rename of folders):

1. write the new data files under names derived from the input key and their content hash —
   a live file is never overwritten (same name means same bytes);
2. put ``_manifest-<generation+1>.json`` listing the committed files (atomic: one PUT on S3,
   tmp+rename locally). This is the commit point;
3. garbage-collect: delete data files listed by neither the new nor the previous manifest,
   and manifests older than the previous one. Safe to redo; a crash leaves only orphans.

Readers list files from the newest manifest only, so they see the old content or the new,
never a half-written or transiently empty partition. The previous generation's files are kept
until the next commit, so a reader that listed just before a commit can still read them.

What is atomic: one partition's change (one manifest PUT). What is not: a change spanning
several partitions (see :mod:`aerolake.lake.staging`) commits partition by partition; a crash
in between is repaired by re-running the same input, which is idempotent. Writing content that
is already committed is a no-op, so re-running an input leaves the lake byte-identical.

Concurrency: one writer per table at a time (not enforced); readers are safe at any time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from aerolake.errors import LakeError
from aerolake.lake import fs as lakefs
from aerolake.lake import parquet
from aerolake.lake.manifest import FileEntry, Manifest, from_json, merge_files, to_json
from aerolake.lake.paths import (
    DATA_PREFIX,
    TABLE_PARTITION_KEYS,
    Partition,
    data_file_name,
    join,
    manifest_generation,
    manifest_name,
    matches,
    normalize_partition,
    parse_partition_path,
    partition_path,
    partition_schema,
)
from aerolake.lake.staging import Stage

PartitionFilter = Mapping[str, object] | Sequence[Mapping[str, object]] | None


class Lake:
    """A lake root on a pyarrow filesystem. Open with :meth:`open`."""

    def __init__(self, location: lakefs.Location) -> None:
        self._loc = location
        self._pending: set[str] = set()  # files written by an open stage, not yet committed

    @classmethod
    def open(cls, url: str, s3_endpoint: str | None = None) -> Lake:
        """A local path / ``file://`` URL, or ``s3://bucket/prefix`` (AWS env credentials)."""
        return cls(lakefs.open_location(url, s3_endpoint))

    @property
    def fs(self) -> pafs.FileSystem:
        return self._loc.fs

    @property
    def root(self) -> str:
        return self._loc.root

    def path(self, *parts: str) -> str:
        """Filesystem path of a lake-relative path (``lake.path("gold/flights")``)."""
        return join(self.root, *parts)

    def uri(self, path: str) -> str:
        """URL for DuckDB/Spark of a filesystem path (as from :meth:`files`) or lake path."""
        full = path if path == self.root or path.startswith(self.root + "/") else self.path(path)
        return self._loc.uri_prefix + full

    # Reading --------------------------------------------------------------------------------

    def manifest(self, table: str, partition: Mapping[str, object]) -> Manifest | None:
        """The newest manifest of one partition, or None if it was never committed."""
        directory = self.path(table, partition_path(partition))
        names = [i.base_name for i in lakefs.list_files(self.fs, directory)]
        return self._read_newest(directory, names)

    def manifests(self, table: str, partitions: PartitionFilter = None) -> list[Manifest]:
        """Newest manifest of every non-empty partition (optionally filtered), in path order."""
        base = self.path(table)
        wanted = _as_filters(partitions)
        found: list[tuple[tuple[object, ...], Manifest]] = []
        for directory, names in self._manifest_names(base).items():
            part = parse_partition_path(directory[len(base) :])
            if wanted is not None and not any(matches(part, w) for w in wanted):
                continue
            newest = self._read_newest(directory, names)
            if newest is not None and newest.files:
                found.append((tuple(part.values()), newest))
        return [m for _, m in sorted(found, key=lambda pair: pair[0])]

    def partitions(self, table: str) -> list[Partition]:
        """Committed, non-empty partitions, sorted (e.g. by date then hour)."""
        return [m.partition for m in self.manifests(table)]

    def files(self, table: str, partitions: PartitionFilter = None) -> list[str]:
        """Filesystem paths of the committed data files, per the newest manifests only."""
        return [
            self.path(table, partition_path(m.partition), f.name)
            for m in self.manifests(table, partitions)
            for f in m.files
        ]

    def uris(self, table: str, partitions: PartitionFilter = None) -> list[str]:
        """:meth:`files` as URLs, for ``duckdb.read_parquet(..., hive_partitioning=True)``."""
        return [self.uri(p) for p in self.files(table, partitions)]

    def dataset(
        self, table: str, partitions: PartitionFilter = None, schema: pa.Schema | None = None
    ) -> ds.Dataset:
        """A pyarrow dataset of the committed files, with hive partition columns appended."""
        keys = self._keys(table)
        part_schema = partition_schema(keys)
        full = None
        if schema is not None:
            extra = [f for f in part_schema if f.name not in schema.names]
            full = pa.schema([*schema, *extra])
        files = self.files(table, partitions)
        if not files:
            return ds.dataset((full or part_schema).empty_table())
        return ds.dataset(
            files,
            schema=full,
            format="parquet",
            filesystem=self.fs,
            partitioning=ds.partitioning(part_schema, flavor="hive"),
            partition_base_dir=self.path(table),
        )

    def engine_source(
        self, table: str, partitions: PartitionFilter = None, schema: pa.Schema | None = None
    ) -> list[str] | ds.Dataset:
        """What a SQL engine should read for ``table`` (``Engine.register``), hive partition
        columns included: the committed files' paths on a local lake (engines read them
        natively, fastest), else a lazy :meth:`dataset` over the lake's filesystem (S3), so no
        engine needs its own S3 client. An empty selection gives an empty dataset of
        ``schema`` plus the partition columns. Reads manifests only, never data."""
        if lakefs.is_local(self.fs):
            uris = self.uris(table, partitions)
            if uris:
                return uris
        return self.dataset(table, partitions, schema)

    def read(
        self,
        table: str,
        partitions: PartitionFilter = None,
        columns: list[str] | None = None,
        filter: ds.Expression | None = None,
        schema: pa.Schema | None = None,
    ) -> pa.Table:
        """Committed rows, in partition order then manifest (key) order, file rows in order."""
        return self.dataset(table, partitions, schema).to_table(columns=columns, filter=filter)

    def stats(self, prefix: str) -> tuple[int, int]:
        """(files, bytes) committed below a lake path such as ``"bronze"`` or ``"gold/flights"``."""
        files = size = 0
        for directory, names in self._manifest_names(self.path(prefix)).items():
            newest = self._read_newest(directory, names)
            if newest is not None:
                files, size = files + len(newest.files), size + newest.bytes
        return files, size

    # Writing --------------------------------------------------------------------------------

    def replace_partition(
        self,
        table: str,
        partition: Mapping[str, object],
        data: parquet.Data,
        file_key: str,
        schema: pa.Schema | None = None,
    ) -> Manifest | None:
        """Replace the whole partition's content with ``data``, atomically. Idempotent."""
        with self.staged(table) as stage:
            stage.replace(partition, file_key, data, schema)
        return self.manifest(table, partition)

    def upsert_files(
        self,
        table: str,
        partition: Mapping[str, object],
        files: Mapping[str, parquet.Data],
        schema: pa.Schema | None = None,
    ) -> Manifest | None:
        """Add or replace the files of the given keys, keeping other keys; one commit."""
        with self.staged(table) as stage:
            for key, data in files.items():
                stage.add(partition, key, data, schema)
        return self.manifest(table, partition)

    def remove_files(
        self, table: str, partition: Mapping[str, object], keys: Iterable[str]
    ) -> Manifest | None:
        """Drop the files of ``keys`` (absent keys are ignored); one commit."""
        return self.commit(table, partition, remove_keys=keys)

    def delete_partition(self, table: str, partition: Mapping[str, object]) -> None:
        """Commit an empty manifest, then delete the data files at once (no grace period:
        a reader still reading the old generation may fail)."""
        self.commit(table, partition, replace_all=True)
        directory = self.path(table, partition_path(partition))
        self._collect(directory, keep_names=set(), keep_from_generation=None)

    def copy_partition(
        self, source: str, target: str, partition: Mapping[str, object], file_key: str
    ) -> Manifest | None:
        """Make ``target``'s partition hold byte copies of ``source``'s committed files, as
        ``file_key``, in one commit (hard links in a local folder, server-side copies on S3:
        :func:`~aerolake.lake.fs.copy_or_link`). A missing or empty source
        partition empties the target. Idempotent: files already live are not copied again."""
        part = self.check_partition(target, partition)
        found = self.manifest(source, part)
        if found is None or not found.files:
            if self.manifest(target, part) is not None:
                self.delete_partition(target, part)
            return None
        src_dir = self.path(source, partition_path(part))
        dst_dir = self.path(target, partition_path(part))
        current = self.manifest(target, part)
        live = {f.name for f in current.files} if current else set()
        entries, written = [], []
        try:
            if lakefs.is_local(self.fs):
                self.fs.create_dir(dst_dir, recursive=True)
            for entry in found.files:
                if entry.name not in live:
                    path = join(dst_dir, entry.name)
                    self._pending.add(path)
                    written.append(path)
                    lakefs.copy_or_link(self.fs, join(src_dir, entry.name), path)
                entries.append(
                    FileEntry(file_key, entry.name, entry.rows, entry.bytes, entry.sha256)
                )
        except BaseException:
            self.release(written, delete=True)
            raise
        self.release(written, delete=False)
        return self.commit(target, part, replace_all=True, add={file_key: entries})

    @contextmanager
    def staged(self, table: str) -> Iterator[Stage]:
        """Stage writes to several partitions; commit them all at exit, or none if the block
        raises (the staged files are then deleted). See :class:`Stage` for what is atomic."""
        stage = Stage(self, table)
        try:
            yield stage
        except BaseException:
            stage.abort()
            raise
        stage.commit()

    # Internals used by Stage ----------------------------------------------------------------

    def check_partition(self, table: str, partition: Mapping[str, object]) -> Partition:
        norm = normalize_partition(partition)
        expected = TABLE_PARTITION_KEYS.get(table)
        if expected is not None and tuple(norm) != expected:
            raise LakeError(
                f"table {table} is partitioned by {list(expected)}, got partition {dict(norm)}"
            )
        return norm

    def write_files(
        self,
        table: str,
        partition: Partition,
        file_key: str,
        data: parquet.Data,
        schema: pa.Schema | None,
        live: set[str],
        written: list[str],
    ) -> list[FileEntry]:
        """Write ``data`` as uncommitted files of ``file_key``; skip names already live.
        Paths are appended to ``written`` before each write, so an abort can delete them."""
        directory = self.path(table, partition_path(partition))
        entries = []
        chunks = parquet.chunks(data, tuple(partition), schema, parquet.FILE_ROWS)
        for seq, chunk in enumerate(chunks):
            encoded = parquet.encode(chunk)
            name = data_file_name(file_key, seq, encoded.sha256)
            if name not in live:
                path = join(directory, name)
                self._pending.add(path)
                written.append(path)
                lakefs.put_atomic(self.fs, path, encoded.buffer)
            entries.append(
                FileEntry(file_key, name, encoded.rows, encoded.buffer.size, encoded.sha256)
            )
        return entries

    def release(self, paths: Iterable[str], delete: bool) -> None:
        """Forget staged files (and delete them, when a stage is aborted)."""
        paths = list(paths)
        self._pending.difference_update(paths)
        if delete:
            lakefs.delete_quietly(self.fs, paths)

    def commit(
        self,
        table: str,
        partition: Mapping[str, object],
        *,
        replace_all: bool = False,
        remove_keys: Iterable[str] = (),
        add: Mapping[str, Iterable[FileEntry]] | None = None,
    ) -> Manifest | None:
        """Commit one partition change (files in ``add`` already written). A change that
        leaves the file list as it is writes nothing. Returns the newest manifest."""
        part = self.check_partition(table, partition)
        directory = self.path(table, partition_path(part))
        names = [i.base_name for i in lakefs.list_files(self.fs, directory)]
        current = self._read_newest(directory, names)
        files = merge_files(
            current.files if current else (),
            replace_all=replace_all,
            remove_keys=remove_keys,
            add=add or {},
        )
        if (current.files if current else ()) == files:
            return current
        generation = current.generation + 1 if current else 1
        new = Manifest(generation, part, files)
        lakefs.put_atomic(self.fs, join(directory, manifest_name(generation)), to_json(new))
        keep = {f.name for f in files} | ({f.name for f in current.files} if current else set())
        self._collect(directory, keep, current.generation if current else generation)
        return new

    # Helpers ----------------------------------------------------------------------------------

    def _keys(self, table: str) -> tuple[str, ...]:
        known = TABLE_PARTITION_KEYS.get(table)
        if known is not None:
            return known
        found = self.manifests(table)
        return tuple(found[0].partition) if found else ()

    def _manifest_names(self, base: str) -> dict[str, list[str]]:
        """Manifest file names below ``base``, by folder (one recursive listing)."""
        by_dir: dict[str, list[str]] = {}
        for info in lakefs.list_files(self.fs, base, recursive=True):
            if manifest_generation(info.base_name) is not None:
                by_dir.setdefault(info.path.rpartition("/")[0], []).append(info.base_name)
        return by_dir

    def _read_newest(self, directory: str, names: Iterable[str]) -> Manifest | None:
        generations = [g for g in map(manifest_generation, names) if g is not None]
        if not generations:
            return None
        path = join(directory, manifest_name(max(generations)))
        return from_json(lakefs.get_bytes(self.fs, path), path)

    def _collect(
        self, directory: str, keep_names: set[str], keep_from_generation: int | None
    ) -> None:
        """Delete unreferenced data files, temp files and manifests older than
        ``keep_from_generation`` (all but the newest when None). Staged files are spared."""
        infos = lakefs.list_files(self.fs, directory)
        generations = [g for g in (manifest_generation(i.base_name) for i in infos) if g]
        oldest_kept = keep_from_generation or max(generations, default=0)
        doomed = []
        for info in infos:
            name, generation = info.base_name, manifest_generation(info.base_name)
            if generation is not None:
                if generation < oldest_kept:
                    doomed.append(info.path)
            elif (
                name.startswith((DATA_PREFIX, lakefs.TMP_PREFIX))
                and name not in keep_names
                and info.path not in self._pending
            ):
                doomed.append(info.path)
        lakefs.delete_quietly(self.fs, doomed)


def _as_filters(partitions: PartitionFilter) -> list[Mapping[str, object]] | None:
    """None selects every partition; an empty list selects none."""
    if partitions is None:
        return None
    if isinstance(partitions, Mapping):
        return [partitions]
    return list(partitions)
