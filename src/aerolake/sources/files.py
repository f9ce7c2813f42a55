"""The files source: OpenSky historical "states" files (``.csv``, ``.csv.gz``, ``.csv.tar``,
Parquet) read as a :class:`~aerolake.sources.base.BatchSource`.

Contract:

- Memory is bounded by ``batch_rows``, whatever the file size.
- ``batch_id`` is derived from the file's bytes and name (:func:`batch_id_for`), so re-ingesting
  the same file writes the same batch id and a replay overwrites instead of duplicating.
- A corrupt file fails alone. :meth:`FilesSource.batches` never raises :class:`CorruptInput`: it
  logs a warning, records a :class:`FileFailure` and moves on. Batches already yielded from a file
  that later turns out corrupt have been yielded; a consumer that needs all-or-nothing per file
  uses :meth:`FilesSource.iter_files`, stages each file's batches, and discards them when that
  file's iterator raises :class:`CorruptInput`.
- A tar archive without a CSV member (early dot-prefixed OpenSky files) yields zero rows and is
  recorded in :attr:`FilesSource.skipped` with a warning.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyarrow as pa

from aerolake.checksum import file_sha256
from aerolake.errors import ConfigError, CorruptInput
from aerolake.sources.base import with_provenance
from aerolake.sources.files_open import READ_ERRORS, NoCsvMember, detect_format
from aerolake.sources.files_read import read_states
from aerolake.sources.files_write import WriteFormat, opensky_filename, write_opensky_file

__all__ = [
    "FileFailure",
    "FileSkip",
    "FilesSource",
    "WriteFormat",
    "batch_id_for",
    "file_checksum",
    "opensky_filename",
    "rebatch",
    "resolve_inputs",
    "write_opensky_file",
]

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS: Final[int] = 1_000_000


@dataclass(frozen=True)
class FileFailure:
    """A file that could not be read; ``position`` is e.g. ``"line 12"`` or ``"byte 4096 ..."``."""

    path: Path
    message: str
    position: str | None


@dataclass(frozen=True)
class FileSkip:
    """A readable file that holds no state vectors (a tar without a CSV member)."""

    path: Path
    reason: str


def file_checksum(path: Path) -> str:
    """Hex SHA-256 of the file's bytes (:func:`aerolake.checksum.file_sha256`, as the ledger)."""
    return file_sha256(str(path))[0]


def batch_id_for(name: str, checksum: str) -> str:
    """16 hex digits from the file's checksum and name: same file -> same batch id."""
    return hashlib.sha256(f"{checksum}:{name}".encode()).hexdigest()[:16]


def resolve_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Files named by ``inputs`` (files, directories scanned recursively, glob patterns).

    Sorted and de-duplicated. Directory scans and globs keep readable formats and skip other
    names and hidden (dot-first) entries; an explicitly named unreadable or missing file raises
    :class:`ConfigError`.
    """
    found: set[Path] = set()
    for item in inputs:
        text = str(item)
        if glob.has_magic(text):
            for match in sorted(glob.glob(text, recursive=True)):
                found.update(_scan(Path(match)))
            continue
        path = Path(text)
        if path.is_dir():
            found.update(_scan(path))
        elif path.is_file():
            if detect_format(path) is None:
                raise ConfigError(
                    f"{path}: not a states file this source reads; expected a name ending in "
                    ".csv, .csv.gz, .csv.tar, .tar, .parquet or .pq"
                )
            found.add(path.resolve())
        else:
            raise ConfigError(f"{path}: no such file or directory; check the files path")
    return sorted(found)


def _scan(path: Path) -> Iterator[Path]:
    candidates = [path] if path.is_file() else sorted(path.rglob("*"))
    for candidate in candidates:
        hidden = any(part.startswith(".") for part in candidate.relative_to(path).parts)
        if candidate.is_file() and not hidden and detect_format(candidate) is not None:
            yield candidate.resolve()


def rebatch(batches: Iterable[pa.RecordBatch], max_rows: int) -> Iterator[pa.RecordBatch]:
    """Coalesce small batches and split big ones into batches of at most ``max_rows`` rows.

    Every batch but the last holds exactly ``max_rows``; empty batches are dropped. Pure.
    """
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        while batch.num_rows:
            take = min(batch.num_rows, max_rows - held)
            pending.append(batch.slice(0, take))
            held += take
            batch = batch.slice(take)
            if held == max_rows:
                yield _concat(pending)
                pending, held = [], 0
    if held:
        yield _concat(pending)


def _concat(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    return batches[0] if len(batches) == 1 else pa.concat_batches(batches)


class FilesSource:
    """OpenSky states files as a :class:`~aerolake.sources.base.BatchSource` (see module doc).

    ``paths``: files, directories (recursive) and glob patterns. ``batch_rows``: most rows per
    batch. ``ingested_at``: one fixed, timezone-aware stamp for every row (reproducible replays);
    None stamps each file with the UTC wall clock when its reading starts.
    """

    name = "files"

    def __init__(
        self,
        paths: str | Path | Sequence[str | Path],
        *,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        ingested_at: dt.datetime | None = None,
    ) -> None:
        if batch_rows <= 0:
            raise ConfigError(f"batch_rows must be positive, got {batch_rows}")
        if ingested_at is not None and ingested_at.tzinfo is None:
            raise ConfigError("ingested_at must be timezone-aware UTC")
        self.paths: list[str | Path] = [paths] if isinstance(paths, str | Path) else list(paths)
        self.batch_rows = batch_rows
        self.ingested_at = ingested_at
        self.failures: list[FileFailure] = []
        self.skipped: list[FileSkip] = []

    def files(self) -> list[Path]:
        """The input files, resolved, sorted and de-duplicated. Raises :class:`ConfigError`."""
        return resolve_inputs(self.paths)

    def read_file(self, path: Path, *, checksum: str | None = None) -> Iterator[pa.RecordBatch]:
        """One file's rows in :data:`~aerolake.schema.STATE_SCHEMA`; raises :class:`CorruptInput`.

        ``checksum``: the file's :func:`file_checksum` if the caller already has it (saves a
        pass over the file). Does not record failures (callers decide); a tar without CSV
        yields nothing and is recorded in :attr:`skipped`.
        """
        path = Path(path)
        fmt = detect_format(path)
        if fmt is None:
            raise CorruptInput("not a states file (unknown file name ending)", path=str(path))
        try:
            batch_id = batch_id_for(path.name, checksum or file_checksum(path))
        except OSError as exc:
            raise CorruptInput(f"cannot read file: {exc}", path=str(path)) from exc
        ingested_at = self.ingested_at or dt.datetime.now(dt.UTC)
        try:
            for batch in rebatch(
                read_states(path, fmt, batch_rows=self.batch_rows), self.batch_rows
            ):
                yield with_provenance(
                    batch, source=self.name, batch_id=batch_id, ingested_at=ingested_at
                )
        except NoCsvMember as exc:
            log.warning("no CSV member, zero rows: %s", exc)
            self.skipped.append(FileSkip(path, str(exc)))
        except READ_ERRORS as exc:  # a reader let one slip: still this file's fault
            raise CorruptInput(f"unreadable file: {exc}", path=str(path)) from exc

    def iter_files(self) -> Iterator[tuple[Path, Iterator[pa.RecordBatch]]]:
        """``(path, batches)`` per file, for all-or-nothing staging by the consumer.

        Each ``batches`` iterator raises :class:`CorruptInput` if its file turns out corrupt, after
        recording it in :attr:`failures` (reset when this iteration starts) and logging a warning.
        Exhaust each iterator before taking the next pair.
        """
        self.failures = []
        self.skipped = []
        for path in self.files():
            yield path, self._recorded(path)

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Every file's rows; corrupt files are logged, recorded in :attr:`failures`, skipped."""
        for _path, batches in self.iter_files():
            try:
                yield from batches
            except CorruptInput:
                continue  # already recorded and logged by _recorded

    def _recorded(self, path: Path) -> Iterator[pa.RecordBatch]:
        try:
            yield from self.read_file(path)
        except CorruptInput as exc:
            log.warning("corrupt file skipped: %s", exc)
            self.failures.append(FileFailure(path, str(exc), exc.position))
            raise
