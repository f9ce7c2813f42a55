"""Airlines by ICAO designator, from the curated ``data/airlines.csv`` shipped in the package.

The table holds real designators only (ICAO Doc 8585 three-letter codes) with their IATA code,
radiotelephony callsign, ISO2 country of the operator and whether the airline still flies.
Defunct and merged airlines stay in the table (``active`` false) because historical data still
carries their callsigns (e.g. ``VTI`` Vistara until 2024).

A flight's callsign names its airline when it starts with a known designator immediately
followed by a digit (``IGO6054`` -> ``IGO``); anything else (registrations such as ``VTANB``,
a bare ``AIC``, private flights) maps to null.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

AIRLINES_FILE: Final[str] = "airlines.csv"

AIRLINE_SCHEMA: Final[pa.Schema] = pa.schema(
    [
        pa.field("icao", pa.string(), nullable=False),
        pa.field("iata", pa.string()),
        pa.field("name", pa.string(), nullable=False),
        pa.field("callsign", pa.string()),  # radiotelephony designator, e.g. "IFLY"
        pa.field("country", pa.string(), nullable=False),  # ISO 3166-1 alpha-2
        pa.field("active", pa.bool_(), nullable=False),
    ]
)


@dataclass(frozen=True)
class Airline:
    """One airline. ``icao`` is the 3-letter designator; ``country`` is ISO 3166-1 alpha-2."""

    icao: str
    iata: str | None
    name: str
    callsign: str | None
    country: str
    active: bool


def _parse(row: dict[str, str]) -> Airline:
    return Airline(
        icao=row["icao"].strip(),
        iata=row["iata"].strip() or None,
        name=row["name"].strip(),
        callsign=row["callsign"].strip() or None,
        country=row["country"].strip(),
        active=row["active"].strip().lower() == "true",
    )


@lru_cache(maxsize=1)
def load_airlines() -> dict[str, Airline]:
    """All airlines (active and defunct) keyed by ICAO designator. Cached; do not mutate."""
    text = resources.files("aerolake.refdata").joinpath("data", AIRLINES_FILE).read_text("utf-8")
    airlines = (_parse(row) for row in csv.DictReader(text.splitlines()))
    return {a.icao: a for a in airlines}


@lru_cache(maxsize=1)
def airlines_table() -> pa.Table:
    """The airline table as Arrow, in :data:`AIRLINE_SCHEMA`, ordered by designator."""
    rows = sorted(load_airlines().values(), key=lambda a: a.icao)
    cols = {name: [getattr(a, name) for a in rows] for name in AIRLINE_SCHEMA.names}
    return pa.table(cols, schema=AIRLINE_SCHEMA)


def airlines_of_country(country: str) -> list[Airline]:
    """Active airlines registered in ``country`` (ISO2), ordered by designator."""
    code = country.strip().upper()
    return sorted(
        (a for a in load_airlines().values() if a.active and a.country == code),
        key=lambda a: a.icao,
    )


def airline_for_callsign(callsigns: pa.Array | pa.ChunkedArray) -> pa.Array:
    """ICAO designator of the airline flying each callsign, or null.

    Callsigns are trimmed and upper-cased first. A callsign maps to ``XXX`` when its first three
    characters are a known designator and the fourth is a digit. Vectorised with pyarrow
    compute kernels; null in, null out.
    """
    if isinstance(callsigns, pa.ChunkedArray):
        callsigns = callsigns.combine_chunks()
    text = pc.utf8_upper(pc.utf8_trim_whitespace(callsigns.cast(pa.string())))
    prefix = pc.utf8_slice_codeunits(text, 0, 3)
    fourth_is_digit = pc.utf8_is_digit(pc.utf8_slice_codeunits(text, 3, 4))
    known = pc.is_in(prefix, value_set=airlines_table().column("icao").combine_chunks())
    keep = pc.and_(known, fourth_is_digit)
    result: pa.Array = pc.if_else(keep, prefix, pa.scalar(None, pa.string()))
    return result
