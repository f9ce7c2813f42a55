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
huge = np._core.multiarray._get_madvise_hugepage()
print(pa.default_memory_pool().backend_name, libc.mallinfo2().hblks - before, huge)
"""


def _probe(setup: str, **env: str) -> tuple[str, int, bool]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "ARROW_DEFAULT_MEMORY_POOL",
            "MALLOC_MMAP_MAX_",
            "MALLOC_TRIM_THRESHOLD_",
            "NUMPY_MADVISE_HUGEPAGE",
        )
    }
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(setup=setup)],
        env={**clean, **env},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return out[0], int(out[1]), out[2] == "True"


pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="glibc allocator settings are Linux-only"
)


def test_without_configure_arrow_uses_its_default_and_glibc_maps_large_blocks() -> None:
    pool, mapped, huge = _probe("")
    assert pool != "system"
    assert mapped >= 1
    assert huge


def test_configure_puts_arrow_on_the_system_pool_and_large_blocks_on_the_heap() -> None:
    pool, mapped, huge = _probe("from aerolake import memory; memory.configure()")
    assert pool == "system"
    assert mapped == 0
    assert not huge


def test_configure_after_numpy_was_imported_still_turns_huge_pages_off() -> None:
    *_, huge = _probe("import numpy; from aerolake import memory; memory.configure()")
    assert not huge


def test_configure_leaves_the_users_choices_alone() -> None:
    pool, mapped, huge = _probe(
        "from aerolake import memory; memory.configure()",
        ARROW_DEFAULT_MEMORY_POOL="jemalloc",
        MALLOC_TRIM_THRESHOLD_="131072",
        NUMPY_MADVISE_HUGEPAGE="1",
    )
    assert pool == "jemalloc"
    assert mapped >= 1
    assert huge
