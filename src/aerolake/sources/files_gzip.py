"""A gzip writer that deflates on every core: one standard single-member gzip stream.

The pigz technique: the input is cut into chunks, each deflated on a thread (zlib releases the
GIL) with the previous chunk's last 32 KiB as its dictionary and ended by a sync flush, so the
concatenated pieces form one deflate stream any gunzip reads. Output is deterministic for a
given ``level`` and ``chunk_size`` (the header's mtime is 0). Memory is bounded by
``chunk_size`` times twice the number of threads.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO, Final

WINDOW: Final[int] = 32 * 1024  # deflate's back-reference distance
_HEADER: Final[bytes] = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, mtime 0


def deflate_piece(data: bytes, dictionary: bytes, level: int, last: bool) -> bytes:
    """Raw deflate of ``data`` continuing a stream whose previous bytes end in ``dictionary``."""
    if dictionary:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15, zdict=dictionary)
    else:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(
        zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH
    )


class ParallelGzipWriter:
    """A write-only binary stream that gzips onto ``raw`` (left open on :meth:`close`)."""

    def __init__(
        self,
        raw: BinaryIO,
        *,
        level: int = 6,
        chunk_size: int = 4 << 20,
        threads: int | None = None,
    ) -> None:
        self._raw = raw
        self._level = level
        self._chunk_size = chunk_size
        self._threads = threads or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="gzip")
        self._pending: deque[Future[bytes]] = deque()
        self._buffer = bytearray()
        self._dictionary = b""
        self._crc = 0
        self._size = 0
        self._closed = False
        raw.write(_HEADER)

    def write(self, data: bytes, /) -> int:
        self._buffer += data
        while len(self._buffer) >= self._chunk_size:
            chunk = bytes(self._buffer[: self._chunk_size])
            del self._buffer[: self._chunk_size]
            self._submit(chunk, last=False)
        return len(data)

    @property
    def closed(self) -> bool:
        return self._closed

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        """Nothing to do: data is deflated in whole chunks and at :meth:`close`."""

    def close(self) -> None:
        """Deflate what is left, write the trailer (CRC-32, size mod 2**32). Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._submit(bytes(self._buffer), last=True)
            self._buffer.clear()
            while self._pending:
                self._raw.write(self._pending.popleft().result())
            self._raw.write(struct.pack("<II", self._crc, self._size & 0xFFFFFFFF))
        finally:
            self._pool.shutdown(cancel_futures=True)

    def __enter__(self) -> ParallelGzipWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self._closed = True
            self._pool.shutdown(cancel_futures=True)

    def _submit(self, chunk: bytes, *, last: bool) -> None:
        self._crc = zlib.crc32(chunk, self._crc)
        self._size += len(chunk)
        future = self._pool.submit(deflate_piece, chunk, self._dictionary, self._level, last)
        self._pending.append(future)
        self._dictionary = (self._dictionary + chunk)[-WINDOW:]
        while len(self._pending) > 2 * self._threads:
            self._raw.write(self._pending.popleft().result())
