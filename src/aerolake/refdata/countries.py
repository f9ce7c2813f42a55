"""Country of registration from the ICAO 24-bit aircraft address.

States receive blocks of addresses from ICAO (Annex 10 Vol III, Part I, Chapter 9, appendix
table); ``data/icao24_blocks.csv`` ships that table (start and end inclusive, upper-case hex,
a short English country name and its ISO 3166-1 alpha-2 code). Sub-allocations a state makes
inside its own block (e.g. UK territories inside the UK block) are not modelled: such aircraft
report the allocating state.

:func:`registration_country` returns the short English *name* ("India", "United States"),
which is what the silver ``registration_country`` column holds and what people read;
:func:`registration_country_iso2` returns the ISO2 code for joins.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from aerolake.errors import ConfigError

BLOCKS_FILE: Final[str] = "icao24_blocks.csv"

#: Territories without a block of their own register aircraft in their sovereign state's block
#: (Hong Kong B-H in China's, Guernsey 2- and Cayman VP-C in the UK's, French overseas F-O in
#: France's, Greenland and Faroe OY- in Denmark's).
TERRITORY_STATE: Final[dict[str, str]] = {
    "HK": "CN",
    "MO": "CN",
    "GG": "GB",
    "JE": "GB",
    "IM": "GB",
    "KY": "GB",
    "BM": "GB",
    "NC": "FR",
    "PF": "FR",
    "RE": "FR",
    "GL": "DK",
    "FO": "DK",
}


@dataclass(frozen=True)
class IcaoBlock:
    """Addresses ``start``..``end`` (inclusive) allocated to ``country`` (``iso2``)."""

    start: int
    end: int
    country: str
    iso2: str


@lru_cache(maxsize=1)
def load_blocks() -> tuple[IcaoBlock, ...]:
    """The allocation table, sorted by start. Raises ValueError if blocks overlap."""
    text = resources.files("aerolake.refdata").joinpath("data", BLOCKS_FILE).read_text("utf-8")
    blocks = sorted(
        (
            IcaoBlock(int(r["start"], 16), int(r["end"], 16), r["country"], r["iso2"])
            for r in csv.DictReader(text.splitlines())
        ),
        key=lambda b: b.start,
    )
    for prev, cur in itertools.pairwise(blocks):
        if cur.start <= prev.end:
            raise ValueError(f"ICAO blocks overlap: {prev} and {cur}")
    return tuple(blocks)


@dataclass(frozen=True)
class _Arrays:
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    names: pa.Array
    iso2: pa.Array


@lru_cache(maxsize=1)
def _arrays() -> _Arrays:
    blocks = load_blocks()
    return _Arrays(
        starts=np.array([b.start for b in blocks], dtype=np.int64),
        ends=np.array([b.end for b in blocks], dtype=np.int64),
        names=pa.array([b.country for b in blocks], pa.string()),
        iso2=pa.array([b.iso2 for b in blocks], pa.string()),
    )


def _hex_lut() -> npt.NDArray[np.uint8]:
    lut = np.full(256, 255, dtype=np.uint8)
    for i, ch in enumerate("0123456789abcdef"):
        lut[ord(ch)] = i
        lut[ord(ch.upper())] = i
    return lut


_HEX_LUT: Final[npt.NDArray[np.uint8]] = _hex_lut()


def parse_icao24(icao24: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.int64]:
    """ICAO addresses as integers; -1 where null or not exactly 6 hex digits.

    Surrounding whitespace is ignored and either case is accepted. Vectorised: the strings are
    cast to fixed 6-byte binary and decoded through a lookup table, no Python loop.
    """
    if isinstance(icao24, pa.ChunkedArray):
        icao24 = icao24.combine_chunks()
    n = len(icao24)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    text = pc.utf8_trim_whitespace(icao24.cast(pa.string()))
    six = pc.fill_null(pc.equal(pc.binary_length(text), 6), False)
    fixed = pc.if_else(six, text, pa.scalar("zzzzzz")).cast(pa.binary(6))
    raw = np.frombuffer(fixed.buffers()[1], dtype=np.uint8)
    raw = raw[fixed.offset * 6 : (fixed.offset + n) * 6].reshape(n, 6)
    nibbles = _HEX_LUT[raw]
    values = np.zeros(n, dtype=np.int64)
    for k in range(6):
        values = (values << 4) | nibbles[:, k]
    values[(nibbles > 15).any(axis=1)] = -1
    return values


def _block_index(icao24: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Index into the block table per row (null when invalid or unallocated)."""
    arrays = _arrays()
    values = parse_icao24(icao24)
    pos = np.searchsorted(arrays.starts, values, side="right") - 1
    safe = np.clip(pos, 0, None)
    valid = (values >= 0) & (pos >= 0) & (values <= arrays.ends[safe])
    return pa.array(safe, type=pa.int32(), mask=~valid)


def registration_country(icao24: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Short English name of the state that allocated each address ("India"); null if unknown."""
    return pc.take(_arrays().names, _block_index(icao24))


def registration_country_iso2(icao24: pa.Array | pa.ChunkedArray) -> pa.Array:
    """ISO 3166-1 alpha-2 code of the allocating state ("IN"); null if unknown."""
    return pc.take(_arrays().iso2, _block_index(icao24))


def icao24_block(iso2: str) -> tuple[int, int]:
    """(first, last) address, inclusive, of the first block allocated to ``iso2``.

    A territory in :data:`TERRITORY_STATE` gets its sovereign state's block.
    """
    code = iso2.strip().upper()
    code = TERRITORY_STATE.get(code, code)
    for block in load_blocks():
        if block.iso2 == code:
            return block.start, block.end
    raise ConfigError(
        f"no ICAO 24-bit address block is known for country {iso2!r}; expected an ISO 3166-1 "
        f"alpha-2 code listed in aerolake/refdata/data/{BLOCKS_FILE}"
    )
