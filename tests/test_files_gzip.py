"""The parallel gzip writer: one standard gzip member whatever the chunking."""

from __future__ import annotations

import gzip
import io
import random

import pyarrow as pa
import pytest

from aerolake.sources.files_gzip import ParallelGzipWriter


def gz(data: bytes, *, chunk_size: int, threads: int = 2, level: int = 6, step: int = 777) -> bytes:
    out = io.BytesIO()
    with ParallelGzipWriter(out, level=level, chunk_size=chunk_size, threads=threads) as w:
        for i in range(0, len(data), step):
            w.write(data[i : i + step])
    return out.getvalue()


def sample(n: int) -> bytes:
    rng = random.Random(n)
    words = [b"1654473600", b"000123", b"True", b"False", b"", b"48.1234", b"DLH4AB  "]
    return b",".join(rng.choice(words) for _ in range(n))


@pytest.mark.parametrize("n", [0, 1, 1023, 1024, 1025, 50_000])
@pytest.mark.parametrize("chunk_size", [1024, 4096])
def test_output_is_one_gzip_member_readers_agree_on(n: int, chunk_size: int) -> None:
    data = sample(n)
    packed = gz(data, chunk_size=chunk_size)
    assert gzip.decompress(packed) == data
    assert pa.CompressedInputStream(pa.BufferReader(packed), "gzip").read() == data
    # a single member: after the trailer there is nothing more
    with gzip.GzipFile(fileobj=io.BytesIO(packed)) as f:
        f.read()
        assert f.fileobj is not None and f.fileobj.read() == b""  # type: ignore[attr-defined]


def test_deterministic_regardless_of_threads_and_write_sizes() -> None:
    data = sample(40_000)
    first = gz(data, chunk_size=2048, threads=1, step=1)
    assert gz(data, chunk_size=2048, threads=4, step=10_000) == first
    assert gz(data, chunk_size=4096) != first  # chunking is part of the encoding


def test_dictionary_keeps_the_ratio_across_chunks() -> None:
    data = sample(200_000)
    assert len(gz(data, chunk_size=65536)) < 1.02 * len(gzip.compress(data, compresslevel=6))


def test_an_error_inside_the_block_writes_no_trailer() -> None:
    out = io.BytesIO()
    with pytest.raises(RuntimeError), ParallelGzipWriter(out, chunk_size=1024) as w:
        w.write(sample(5000))
        raise RuntimeError("boom")
    with pytest.raises(EOFError):
        gzip.decompress(out.getvalue())
