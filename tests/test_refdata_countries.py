from __future__ import annotations

import itertools
import re

import numpy as np
import pyarrow as pa
import pytest

from aerolake.errors import ConfigError
from aerolake.refdata.airlines import load_airlines
from aerolake.refdata.countries import (
    icao24_block,
    load_blocks,
    parse_icao24,
    registration_country,
    registration_country_iso2,
)


def test_table_is_large_sorted_and_disjoint() -> None:
    blocks = load_blocks()
    assert len(blocks) >= 150
    for b in blocks:
        assert 0 <= b.start <= b.end <= 0xFFFFFF
        assert re.fullmatch(r"[A-Z]{2}", b.iso2)
        # Allocations are aligned power-of-two sized blocks.
        size = b.end - b.start + 1
        assert size & (size - 1) == 0, b
        assert b.start % size == 0, b
    for prev, cur in itertools.pairwise(blocks):
        assert prev.end < cur.start


@pytest.mark.parametrize(
    ("iso2", "start", "end"),
    [
        ("IN", 0x800000, 0x83FFFF),
        ("US", 0xA00000, 0xAFFFFF),
        ("GB", 0x400000, 0x43FFFF),
        ("DE", 0x3C0000, 0x3FFFFF),
        ("FR", 0x380000, 0x3BFFFF),
        ("CN", 0x780000, 0x7BFFFF),
        ("AE", 0x896000, 0x896FFF),
    ],
)
def test_known_blocks(iso2: str, start: int, end: int) -> None:
    assert icao24_block(iso2) == (start, end)


def test_territories_use_their_sovereign_block() -> None:
    assert icao24_block("HK") == icao24_block("CN")
    assert icao24_block("gg") == icao24_block("GB")
    assert icao24_block("RE") == icao24_block("FR")


def test_every_airline_country_has_a_block() -> None:
    # The simulator draws each airline's aircraft addresses from its country's block.
    for airline in load_airlines().values():
        first, last = icao24_block(airline.country)
        assert first <= last


def test_icao24_block_unknown_country() -> None:
    with pytest.raises(ConfigError, match="XX"):
        icao24_block("XX")


def test_registration_country_examples() -> None:
    icao = pa.array(["800abc", "a1b2c3", "zzzzzz", None, " 896001 ", "3C6589", "abc", "ffffff"])
    assert registration_country(icao).to_pylist() == [
        "India",
        "United States",
        None,
        None,
        "United Arab Emirates",
        "Germany",
        None,
        None,  # unallocated
    ]
    assert registration_country_iso2(icao).to_pylist() == [
        "IN",
        "US",
        None,
        None,
        "AE",
        "DE",
        None,
        None,
    ]


def test_block_edges() -> None:
    icao = pa.array(["800000", "83ffff", "840000", "7fffff"])
    assert registration_country(icao).to_pylist() == ["India", "India", "Japan", "Australia"]


def test_parse_icao24_handles_slices_and_chunks() -> None:
    arr = pa.array(["000001", "00000f", "g00000", "10"]).slice(1)
    np.testing.assert_array_equal(parse_icao24(arr), [15, -1, -1])
    chunked = pa.chunked_array([["800abc"], ["a1b2c3"]])
    assert registration_country(chunked).to_pylist() == ["India", "United States"]
    assert registration_country(pa.array([], pa.string())).to_pylist() == []


def test_matches_a_scalar_reference_on_random_addresses() -> None:
    rng = np.random.default_rng(3)
    values = rng.integers(0, 1 << 24, 5000)
    icao = pa.array([f"{v:06x}" for v in values])
    got = registration_country_iso2(icao).to_pylist()
    blocks = load_blocks()
    for v, iso2 in zip(values, got, strict=True):
        expected = next((b.iso2 for b in blocks if b.start <= v <= b.end), None)
        assert iso2 == expected
