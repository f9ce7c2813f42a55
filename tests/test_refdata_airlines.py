from __future__ import annotations

import re

import pyarrow as pa
import pytest

from aerolake.refdata.airlines import (
    AIRLINE_SCHEMA,
    Airline,
    airline_for_callsign,
    airlines_of_country,
    airlines_table,
    load_airlines,
)
from aerolake.refdata.countries import TERRITORY_STATE, load_blocks

INDIAN_CARRIERS = {
    "AIC": "Air India",
    "IGO": "IndiGo",
    "AXB": "Air India Express",
    "SEJ": "SpiceJet",
    "AKJ": "Akasa Air",
    "LLR": "Alliance Air",
    "VTI": "Vistara",
    "GOW": "Go First",
    "SDG": "Star Air",
    "IAD": "AirAsia India",
    "BDA": "Blue Dart Aviation",
}


def test_table_size_and_designators() -> None:
    airlines = load_airlines()
    assert len(airlines) >= 300
    for code, airline in airlines.items():
        assert code == airline.icao
        assert re.fullmatch(r"[A-Z]{3}", code), code
        assert airline.iata is None or re.fullmatch(r"[A-Z0-9]{2}", airline.iata), airline
        assert airline.name
        assert airline.callsign is None or airline.callsign == airline.callsign.upper()


def test_csv_has_unique_designators() -> None:
    table = airlines_table()
    assert table.schema == AIRLINE_SCHEMA
    codes = table.column("icao").to_pylist()
    assert len(codes) == len(set(codes))


def test_countries_are_iso2_we_know() -> None:
    known = {b.iso2 for b in load_blocks()} | set(TERRITORY_STATE)
    for airline in load_airlines().values():
        assert re.fullmatch(r"[A-Z]{2}", airline.country), airline
        assert airline.country in known, airline


def test_every_continent_is_covered() -> None:
    countries = {a.country for a in load_airlines().values() if a.active}
    for iso2 in ("US", "BR", "GB", "DE", "ZA", "ET", "CN", "JP", "AU", "AE", "IN"):
        assert iso2 in countries


@pytest.mark.parametrize(("icao", "name"), sorted(INDIAN_CARRIERS.items()))
def test_indian_carriers_present(icao: str, name: str) -> None:
    airline = load_airlines()[icao]
    assert airline.name == name
    assert airline.country == "IN"


def test_merged_and_defunct_indian_carriers_are_inactive() -> None:
    airlines = load_airlines()
    for code in ("VTI", "GOW", "IAD", "JAI", "KFR"):
        assert not airlines[code].active
    active = {a.icao for a in airlines_of_country("in")}
    assert {"AIC", "IGO", "AXB", "SEJ", "AKJ", "LLR"} <= active
    assert "VTI" not in active
    assert all(isinstance(a, Airline) and a.active for a in airlines_of_country("IN"))


def test_known_details() -> None:
    igo = load_airlines()["IGO"]
    assert (igo.iata, igo.callsign) == ("6E", "IFLY")
    assert load_airlines()["BAW"].callsign == "SPEEDBIRD"


@pytest.mark.parametrize(
    ("callsign", "expected"),
    [
        ("IGO6054", "IGO"),
        ("IGO6054 ", "IGO"),
        ("  aic101 ", "AIC"),
        ("SEJ1", "SEJ"),
        ("VTI955  ", "VTI"),
        ("BAW12AB", "BAW"),
        ("VTANB", None),  # a registration
        ("AIC", None),  # designator alone
        ("IGOA12", None),  # designator not followed by a digit
        ("ZZZ123", None),  # unknown designator
        ("N123AB", None),
        ("", None),
        (None, None),
    ],
)
def test_airline_for_callsign(callsign: str | None, expected: str | None) -> None:
    result = airline_for_callsign(pa.array([callsign], pa.string()))
    assert result.to_pylist() == [expected]


def test_airline_for_callsign_vectorised_keeps_length_and_order() -> None:
    calls = pa.chunked_array([["IGO1", None, "VTANB"], ["AXB22", "baw1"]])
    out = airline_for_callsign(calls)
    assert out.type == pa.string()
    assert out.to_pylist() == ["IGO", None, None, "AXB", "BAW"]
    assert airline_for_callsign(pa.array([], pa.string())).to_pylist() == []
