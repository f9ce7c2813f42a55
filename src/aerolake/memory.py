"""How aerolake's processes allocate memory: :func:`configure`, called once, early.

The batch layer allocates and frees arrays of tens of millions of rows one after another. Each
allocator that hands such blocks straight back to the operating system makes the next array
fault its pages in again, and the kernel then spends as long zeroing pages as aerolake spends
computing. Measured on 10M rows, flight segmentation in fresh processes (stop 10, same lake,
three runs each): Arrow's default mimalloc 5.3-6.5 s (perf: 38% of the CPU time in the kernel
clearing pages, even with a 1 s purge delay: it unmaps large blocks at once), jemalloc 3.3-4.4 s,
the system allocator 3.3-4.2 s, the system allocator with the glibc settings below 3.1-3.6 s;
silver was as fast with it as with mimalloc (20.0 s vs 19.9 s; jemalloc 22.8 s).

So :func:`configure` makes Arrow use the system allocator (glibc) and tells glibc to serve large
blocks from its heap instead of fresh ``mmap`` regions (``M_MMAP_MAX = 0``) and to keep up to
:data:`KEEP_FREE_BYTES` of freed memory for reuse instead of returning it at once
(``M_TRIM_THRESHOLD``). A long-running process therefore keeps up to that much freed memory.
It also stops numpy from asking for transparent huge pages for large arrays
(``NUMPY_MADVISE_HUGEPAGE=0``): right after another job wrote the files segmentation reads, each
2 MiB huge-page fault cost so much that the kernel's system time tripled (segmentation 4.5 s
instead of 3.6 s; no difference otherwise).

Settings the user made win: ``ARROW_DEFAULT_MEMORY_POOL`` leaves Arrow's pool alone,
``NUMPY_MADVISE_HUGEPAGE`` numpy's, and ``MALLOC_MMAP_MAX_`` / ``MALLOC_TRIM_THRESHOLD_``
(glibc's own variables) glibc's. Elsewhere than Linux with glibc, glibc is not touched.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from typing import Final

#: Arrow's variable naming its default pool; set by the user, aerolake leaves the pool alone.
ARROW_POOL_ENV: Final[str] = "ARROW_DEFAULT_MEMORY_POOL"
#: aerolake's choice: glibc's allocator.
ARROW_POOL: Final[str] = "system"
#: numpy's variable: 0 stops it asking for transparent huge pages for large arrays.
NUMPY_HUGEPAGE_ENV: Final[str] = "NUMPY_MADVISE_HUGEPAGE"
#: The variables aerolake sets unless the user did, before pyarrow and numpy load (both read
#: them once): ``os.environ.update(ENVIRONMENT | os.environ)``.
ENVIRONMENT: Final[dict[str, str]] = {ARROW_POOL_ENV: ARROW_POOL, NUMPY_HUGEPAGE_ENV: "0"}
#: glibc's variables for the two settings; set by the user, aerolake leaves glibc alone.
GLIBC_ENV: Final[tuple[str, ...]] = ("MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_")
#: Freed memory glibc keeps at the top of its heap for reuse (bytes).
KEEP_FREE_BYTES: Final[int] = 1 << 30
# mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD: Final[int] = -1
_M_MMAP_MAX: Final[int] = -4


def configure() -> None:
    """Arrow on the system allocator, glibc keeping large freed blocks, numpy without huge
    pages (module docstring).

    Call before pyarrow is first imported: Arrow's C++ code (Parquet reader, dataset scanner)
    reads ``ARROW_DEFAULT_MEMORY_POOL`` once, on its first allocation, and only Python-level
    allocations follow a later ``pyarrow.set_memory_pool``. Idempotent."""
    os.environ.update(ENVIRONMENT | os.environ)
    if "numpy" in sys.modules:  # numpy read the variable when it was imported
        import numpy as np

        toggle = getattr(getattr(np, "_core", None), "multiarray", None)
        if toggle is not None and hasattr(toggle, "_set_madvise_hugepage"):
            toggle._set_madvise_hugepage(os.environ[NUMPY_HUGEPAGE_ENV] != "0")
    if sys.platform.startswith("linux") and not any(name in os.environ for name in GLIBC_ENV):
        _tune_glibc()
    import pyarrow as pa

    if os.environ[ARROW_POOL_ENV] == ARROW_POOL:
        pa.set_memory_pool(pa.system_memory_pool())


def _tune_glibc() -> None:
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return
    if mallopt is None:
        return
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt(_M_MMAP_MAX, 0)
    mallopt(_M_TRIM_THRESHOLD, KEEP_FREE_BYTES)
