"""Opening OpenSky states files: which format a name means, and the CSV bytes inside.

``.csv`` and ``.csv.gz`` are opened as Arrow streams; a ``.csv.tar`` is read in tar stream mode
(``r|*``, so compressed archives work too) up to its first ``.csv``/``.csv.gz`` member. Gzip is
inflated by ISA-L when the optional ``isal`` package is installed, else by Arrow's zlib.
"""

from __future__ import annotations

import importlib.util
import lzma
import tarfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final, Literal, cast

import pyarrow as pa

FileFormat = Literal["csv", "csv.gz", "csv.tar", "parquet"]

#: File name endings we read, longest first so ``.csv.gz`` wins over ``.gz``.
SUFFIXES: Final[tuple[tuple[str, FileFormat], ...]] = (
    (".csv.tar", "csv.tar"),
    (".csv.gz", "csv.gz"),
    (".csv", "csv"),
    (".tar", "csv.tar"),
    (".parquet", "parquet"),
    (".pq", "parquet"),
)

#: Inflate with ISA-L (package ``isal``) when installed: about twice zlib's speed, and inflating
#: is half the CPU of reading a ``.csv.gz``. Otherwise Arrow's zlib stream.
USE_ISAL: bool = importlib.util.find_spec("isal") is not None


def _isal_errors() -> tuple[type[Exception], ...]:
    try:
        from isal.igzip_lib import IsalError  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return ()
    return (cast(type[Exception], IsalError),)


#: What a damaged file can raise on its way through tarfile, zlib, ISA-L, lzma and Arrow.
READ_ERRORS: Final = (
    *_isal_errors(),
    pa.ArrowException,
    OSError,
    EOFError,
    tarfile.TarError,
    zlib.error,
    lzma.LZMAError,
    UnicodeDecodeError,
)


class NoCsvMember(Exception):
    """A tar archive holds no ``.csv``/``.csv.gz`` member (seen in early dot-prefixed files)."""


def detect_format(path: Path) -> FileFormat | None:
    """The format named by the file's ending, or None when we cannot read it."""
    name = path.name.lower()
    for suffix, fmt in SUFFIXES:
        if name.endswith(suffix):
            return fmt
    return None


@dataclass(frozen=True)
class Opened:
    stream: pa.NativeFile  # the CSV text, decompressed
    tell: Callable[[], int]  # bytes of the file on disk consumed so far


@contextmanager
def open_csv_text(path: Path, fmt: FileFormat) -> Iterator[Opened]:
    """The CSV text inside ``path``: plain, gzip, or the CSV member of a tar (stream mode)."""
    if fmt == "csv" or (fmt == "csv.gz" and not USE_ISAL):
        raw = pa.OSFile(str(path), "r")
        try:
            stream = raw if fmt == "csv" else pa.CompressedInputStream(raw, "gzip")
            yield Opened(stream, raw.tell)
        finally:
            raw.close()
        return
    if fmt == "csv.gz":
        with open(path, "rb") as raw_file:
            yield Opened(_gunzip(raw_file), raw_file.tell)
        return
    if path.stat().st_size == 0:  # some early dot-prefixed archives are empty files
        raise NoCsvMember(f"{path}: no CSV member: the archive is an empty file")
    with open(path, "rb") as raw_file, tarfile.open(fileobj=raw_file, mode="r|*") as tar:
        member = _csv_member(tar)
        if member is None:
            raise NoCsvMember(f"{path}: no CSV member (.csv or .csv.gz) in this tar archive")
        extracted = tar.extractfile(member)
        if extracted is None:  # pragma: no cover - _csv_member only returns regular files
            raise NoCsvMember(f"{path}: CSV member {member.name} is not a regular file")
        if member.name.lower().endswith(".gz"):
            yield Opened(_gunzip(extracted), raw_file.tell)
        else:
            yield Opened(pa.PythonFile(extracted, mode="r"), raw_file.tell)


def _gunzip(compressed: IO[bytes]) -> pa.NativeFile:
    if USE_ISAL:
        from isal import igzip  # type: ignore[import-not-found, unused-ignore]

        inflated = igzip.IGzipFile(fileobj=compressed, mode="rb")  # type: ignore[no-untyped-call]
        return pa.PythonFile(inflated, mode="r")
    return pa.CompressedInputStream(pa.PythonFile(compressed, mode="r"), "gzip")


def _csv_member(tar: tarfile.TarFile) -> tarfile.TarInfo | None:
    for member in tar:
        name = member.name.rsplit("/", 1)[-1].lower()
        if member.isfile() and name.endswith((".csv.gz", ".csv")):
            return member
    return None
