"""Partition manifests: the list of committed data files, one JSON per generation.

A partition folder holds ``part-*.parquet`` data files and ``_manifest-<generation>.json``
files. The newest manifest *is* the partition: files it does not list are invisible (staged,
superseded or left by a crashed writer), and a partition whose newest manifest lists no files
does not exist. The JSON is deterministic (sorted keys, no timestamps), so the same content
gives the same bytes. Pure data and (de)serialisation; no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aerolake.errors import LakeError
from aerolake.lake.paths import Partition

FORMAT_VERSION = 1


@dataclass(frozen=True, order=True)
class FileEntry:
    """One committed data file. ``key`` is the input it was derived from (e.g. a source file
    checksum or an offset range); one key may own several files (``seq`` 0, 1, ...)."""

    key: str
    name: str
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    generation: int
    partition: Partition
    files: tuple[FileEntry, ...]

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)

    def keys(self) -> set[str]:
        return {f.key for f in self.files}


def merge_files(
    current: Iterable[FileEntry],
    *,
    replace_all: bool,
    remove_keys: Iterable[str],
    add: Mapping[str, Iterable[FileEntry]],
) -> tuple[FileEntry, ...]:
    """The file list after a change: drop everything (``replace_all``) or the removed keys and
    the keys being re-added, then add. Sorted by (key, name) so readers see a stable order."""
    dropped = set(remove_keys) | set(add)
    kept = [] if replace_all else [f for f in current if f.key not in dropped]
    added = [f for files in add.values() for f in files]
    return tuple(sorted(kept + added))


def to_json(manifest: Manifest) -> bytes:
    doc = {
        "format": FORMAT_VERSION,
        "generation": manifest.generation,
        "partition": manifest.partition,
        "files": [
            {"key": f.key, "name": f.name, "rows": f.rows, "bytes": f.bytes, "sha256": f.sha256}
            for f in manifest.files
        ],
    }
    return (json.dumps(doc, sort_keys=True, indent=1) + "\n").encode()


def from_json(data: bytes, where: str) -> Manifest:
    try:
        doc = json.loads(data)
        if doc.get("format") != FORMAT_VERSION:
            raise ValueError(f"format {doc.get('format')!r}, expected {FORMAT_VERSION}")
        files = tuple(
            FileEntry(
                key=str(f["key"]),
                name=str(f["name"]),
                rows=int(f["rows"]),
                bytes=int(f["bytes"]),
                sha256=str(f["sha256"]),
            )
            for f in doc["files"]
        )
        return Manifest(int(doc["generation"]), dict(doc["partition"]), files)
    except (ValueError, KeyError, TypeError) as exc:
        raise LakeError(
            f"manifest {where} is not a valid aerolake manifest ({exc}); "
            "delete it to fall back to the previous generation"
        ) from exc
