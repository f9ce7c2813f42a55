"""aerolake.memory: Arrow's pool and glibc's large blocks, each checked in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# Prints Arrow's pool and how many more blocks glibc serves by mmap while a 64 MiB array is alive.
_PROBE = """
import ctypes, sys
{setup}
import numpy as np
import pyarrow as pa

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
before = libc.mallinfo2().hblks
block = np.ones(8 << 20)
print(pa.default_memory_pool().backend_name, libc.mallinfo2().hblks - before)
"""


def _probe(setup: str, **env: str) -> tuple[str, int]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ARROW_DEFAULT_MEMORY_POOL", "MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_")
    }
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(setup=setup)],
        env={**clean, **env},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return out[0], int(out[1])


pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="glibc allocator settings are Linux-only"
)


def test_without_configure_arrow_uses_its_default_and_glibc_maps_large_blocks() -> None:
    pool, mapped = _probe("")
    assert pool != "system"
    assert mapped >= 1


def test_configure_puts_arrow_on_the_system_pool_and_large_blocks_on_the_heap() -> None:
    pool, mapped = _probe("from aerolake import memory; memory.configure()")
    assert pool == "system"
    assert mapped == 0


def test_configure_leaves_the_users_choices_alone() -> None:
    pool, mapped = _probe(
        "from aerolake import memory; memory.configure()",
        ARROW_DEFAULT_MEMORY_POOL="jemalloc",
        MALLOC_TRIM_THRESHOLD_="131072",
    )
    assert pool == "jemalloc"
    assert mapped >= 1
