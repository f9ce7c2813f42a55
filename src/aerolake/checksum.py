"""The one file checksum of aerolake: SHA-256 of a file's bytes, in constant memory.

The ingest ledger and the files source both identify an input file by it, so the two must agree.
"""

from __future__ import annotations

import hashlib
from typing import Final

import pyarrow.fs as pafs

#: Bytes read per block.
BLOCK: Final[int] = 4 << 20


def file_sha256(path: str, fs: pafs.FileSystem | None = None) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of the file at ``path`` on ``fs`` (default: local).

    Raises :class:`OSError` when the file cannot be read. A compressed file is hashed as stored.
    """
    fs = fs or pafs.LocalFileSystem()
    digest, size = hashlib.sha256(), 0
    with fs.open_input_stream(path, compression=None) as stream:  # the bytes, never inflated
        while block := stream.read(BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size
