"""Which allocator Arrow uses in aerolake's processes.

Arrow's default pool in the PyPI wheels is mimalloc, which hands freed pages back to the
operating system; the batch layer allocates and frees arrays of tens of millions of rows, so
every new array page-faulted its memory in again, and the kernel spent about as long zeroing
pages as aerolake spent computing (10M rows of flight segmentation: 5.5 s -> 3.3 s with
jemalloc, which keeps freed pages for reuse). The ``aerolake`` command sets
``ARROW_DEFAULT_MEMORY_POOL=jemalloc`` unless the variable is already set; it must be set
before pyarrow is first imported, so other hosts (Airflow workers) set it in their
environment. Any value Arrow accepts works (``mimalloc``, ``system``).
"""

from __future__ import annotations

from typing import Final

#: The environment variable Arrow reads once, when pyarrow is imported.
ARROW_POOL_ENV: Final[str] = "ARROW_DEFAULT_MEMORY_POOL"
#: aerolake's choice.
ARROW_POOL: Final[str] = "jemalloc"
