"""How Arrow's allocator behaves in aerolake's processes.

Arrow's default pool in the PyPI wheels is mimalloc, which by default hands freed memory back to
the operating system 10 ms after it is freed. The batch layer allocates and frees arrays of tens
of millions of rows one after another, so each new array page-faulted its memory in again and
the kernel spent about as long zeroing pages as aerolake spent computing. A purge delay of one
second lets the next array reuse those pages; measured on 10M rows in fresh processes (stop 9):
silver 22.2 s -> 20.7 s, flight segmentation 4.5-5.5 s -> 4.0 s. (jemalloc made segmentation
faster still, 3.4 s, but silver slower, 25 s: worse for the pipeline as a whole.)

The ``aerolake`` command sets ``MIMALLOC_PURGE_DELAY`` unless it is already set. mimalloc reads
it once, when pyarrow is first imported, so other hosts (Airflow workers) set it in their
environment.
"""

from __future__ import annotations

from typing import Final

#: mimalloc's option: milliseconds before freed memory is returned to the OS.
PURGE_DELAY_ENV: Final[str] = "MIMALLOC_PURGE_DELAY"
#: aerolake's choice, in ms.
PURGE_DELAY_MS: Final[str] = "1000"
