"""Vectorised building blocks of the segmentation kernel: codes, shifts, segmented reductions.

Pure numpy/pyarrow helpers over arrays sorted by (aircraft, time). Null conventions: integer
codes and relative times use -1 for null (relative times are >= 0), floats use NaN (silver
holds no NaN: validation rejects it), so every helper here is null-aware the way SQL is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
_Array = TypeVar("_Array", bound=npt.NDArray[Any])

#: Room for a relative time (or a time + 1) in the low bits of a (group, time) key.
TIME_BITS: Final[int] = 36


def codes(
    values: pa.ChunkedArray, clean: Callable[[pa.Array], pa.Array] | None = None
) -> tuple[I64, pa.Array]:
    """Dictionary codes of a string column (-1 for null) and its dictionary, sorted so that code
    order is byte order (SQL MIN/MAX of text). Dictionary-encoded input (as read from Parquet)
    is not decoded; ``clean`` maps the dictionary's texts (null to drop one)."""
    if not pa.types.is_dictionary(values.type):
        values = pc.dictionary_encode(values)
    values = pa.table({"v": values}).unify_dictionaries().column("v")
    chunks = [c for c in values.chunks if len(c)]
    if not chunks:
        return np.empty(0, dtype=np.int64), pa.array([], pa.string())
    dictionary = pc.cast(chunks[0].dictionary, pa.string())
    index = np.concatenate(
        [pc.fill_null(c.indices, -1).to_numpy().astype(np.int64) for c in chunks]
    )
    texts = clean(dictionary) if clean is not None else dictionary
    merged = pc.dictionary_encode(texts)
    unique = merged.dictionary
    by_text = pc.sort_indices(unique).to_numpy()
    rank = np.empty(len(unique), dtype=np.int64)
    rank[by_text] = np.arange(len(unique))
    merged_index = pc.fill_null(merged.indices, -1).to_numpy()
    lookup = np.append(np.where(merged_index >= 0, rank[np.maximum(merged_index, 0)], -1), -1)
    return lookup[index], unique.take(pa.array(by_text))


def floats(values: pa.ChunkedArray) -> F64:
    """``values`` as float64, null as NaN."""
    filled = pc.fill_null(pc.cast(values, pa.float64()), np.nan)
    return np.asarray(filled.to_numpy(), dtype=np.float64)


def bools(values: pa.ChunkedArray) -> Bools:
    """``values`` with null as False (SQL ``COALESCE(x, FALSE)``)."""
    return np.asarray(pc.fill_null(values, False).to_numpy(), dtype=np.bool_)


def shift(values: _Array, fill: object) -> _Array:
    """The previous element of each position (``fill`` at 0): SQL ``LAG`` over sorted rows."""
    out: _Array = np.empty_like(values)
    out[1:] = values[:-1]
    out[0] = fill
    return out


def running_max(group: I64, values: I64, valid: Bools) -> I64:
    """Running maximum of ``values`` where ``valid`` within each group, current row included,
    -1 while none (``MAX(CASE WHEN valid THEN v END) OVER (... UNBOUNDED PRECEDING)``).

    ``group`` is non-decreasing and dense (0, 1, ...); ``values`` lie in [0, 2**TIME_BITS)."""
    offset = group << (TIME_BITS + 1)
    run: I64 = np.maximum.accumulate(offset + np.where(valid, values + 1, 0)) - offset
    return run - 1


def last_valid_before(group: I64, valid: Bools) -> I64:
    """Per row, the index of the last earlier row of its group where ``valid``, else -1."""
    index = np.where(valid, np.arange(len(valid)), -1)
    run = shift(np.maximum.accumulate(index), -1)
    return np.where((run >= 0) & (group[np.maximum(run, 0)] == group), run, -1)


@dataclass(frozen=True)
class Segments:
    """Runs of equal labels in a sorted array: ``starts`` and ``ends`` (exclusive) per run."""

    starts: I64
    ends: I64

    @staticmethod
    def from_labels(labels: I64) -> Segments:
        change = np.empty(len(labels), dtype=np.bool_)
        change[0] = True
        change[1:] = labels[1:] != labels[:-1]
        starts = np.flatnonzero(change)
        return Segments(starts, np.append(starts[1:], len(labels)))

    def sum(self, values: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
        return np.add.reduceat(values, self.starts)

    def count(self, mask: Bools) -> I64:
        return np.add.reduceat(mask.astype(np.int64), self.starts)

    def first_valid(self, valid: Bools) -> I64:
        """Index of the first ``valid`` row of each run, -1 if none."""
        n = len(valid)
        first = np.minimum.reduceat(np.where(valid, np.arange(n), n), self.starts)
        return np.where(first < self.ends, first, -1)

    def last_valid(self, valid: Bools) -> I64:
        """Index of the last ``valid`` row of each run, -1 if none."""
        last = np.maximum.reduceat(np.where(valid, np.arange(len(valid)), -1), self.starts)
        return np.where(last >= self.starts, last, -1)


def take_or_null(values: npt.NDArray[np.generic], index: I64) -> pa.Array:
    """``values[index]`` as Arrow, null where ``index`` is -1."""
    return pa.array(values[np.maximum(index, 0)], mask=index < 0)


def nan_to_null(values: F64) -> pa.Array:
    return pa.array(values, mask=np.isnan(values))


def decode(code: I64, dictionary: pa.Array) -> pa.Array:
    """Strings of ``code`` (-1 -> null)."""
    return dictionary.take(pa.array(code, mask=code < 0))
