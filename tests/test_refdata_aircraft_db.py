from __future__ import annotations

from pathlib import Path

import pytest

from aerolake.errors import CorruptInput
from aerolake.refdata.aircraft_db import (
    AIRCRAFT_SCHEMA,
    aircraft_path,
    import_aircraft_db,
    load_aircraft_db,
)

OLD_HEADER = (
    '"icao24","registration","manufacturericao","manufacturername","model","typecode",'
    '"serialnumber","linenumber","icaoaircrafttype","operator","operatorcallsign",'
    '"operatoricao","operatoriata","owner","testreg","registered","reguntil","status","built",'
    '"firstflightdate","seatconfiguration","engines","modes","adsb","acars","notes",'
    '"categoryDescription"'
)


def _old_row(
    icao24: str, reg: str, model: str, typecode: str, operator: str, notes: str = ""
) -> str:
    fields = [
        icao24,
        reg,
        "AIRBUS",
        "Airbus",
        model,
        typecode,
        "1234",
        "",
        "L2J",
        operator,
        "IFLY",
        "IGO",
        "6E",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "false",
        "false",
        "false",
        notes,
        "No ADS-B Emitter Category Information",
    ]
    return ",".join(f'"{f}"' for f in fields)


def test_import_double_quoted_dialect(tmp_path: Path) -> None:
    csv_path = tmp_path / "aircraftDatabase.csv"
    lines = [
        OLD_HEADER,
        _old_row("800abc", "VT-IJA", "A320 271N", "A20N", "IndiGo"),
        _old_row(" 8015C3 ", "VT-EXA", "A320-214", "A320", "Air India", notes="a, b\nsecond line"),
        _old_row("zzzzzz", "X-BAD", "", "", ""),
        _old_row("", "", "", "", ""),
        _old_row("800abc", "VT-DUP", "", "", ""),  # duplicate: first row wins
        _old_row("a1b2c3", "N12345", "", "C172", ""),
    ]
    csv_path.write_text("\n".join(lines) + "\n")
    n = import_aircraft_db(csv_path, tmp_path / "data")
    assert n == 3
    table = load_aircraft_db(tmp_path / "data")
    assert table is not None
    assert table.schema == AIRCRAFT_SCHEMA
    assert table.to_pylist() == [
        {
            "icao24": "800abc",
            "registration": "VT-IJA",
            "typecode": "A20N",
            "model": "A320 271N",
            "operator": "IndiGo",
        },
        {
            "icao24": "8015c3",
            "registration": "VT-EXA",
            "typecode": "A320",
            "model": "A320-214",
            "operator": "Air India",
        },
        {
            "icao24": "a1b2c3",
            "registration": "N12345",
            "typecode": "C172",
            "model": None,
            "operator": None,
        },
    ]


def test_import_single_quoted_dialect_and_reimport_replaces(tmp_path: Path) -> None:
    csv_path = tmp_path / "aircraft-database-complete-2025-08.csv"
    csv_path.write_text(
        "'icao24','timestamp','built','manufacturerIcao','model','operator','operatorCallsign',"
        "'registration','typecode','serialNumber'\n"
        "'896123','2025-01-01 00:00:00','2019-01-01','AIRBUS','A380-861','Emirates','EMIRATES',"
        "'A6-EVA','A388','1'\n"
        "'3c6589','','','BOEING','747-830','Lufthansa, Cargo','LUFTHANSA','D-ABYA','B748','2'\n"
    )
    data_dir = tmp_path / "data"
    assert import_aircraft_db(csv_path, data_dir) == 2
    assert import_aircraft_db(csv_path, data_dir) == 2  # idempotent
    table = load_aircraft_db(data_dir)
    assert table is not None
    assert table.column("icao24").to_pylist() == ["896123", "3c6589"]
    assert table.column("operator").to_pylist() == ["Emirates", "Lufthansa, Cargo"]
    assert table.column("typecode").to_pylist() == ["A388", "B748"]
    leftovers = [p.name for p in aircraft_path(data_dir).parent.iterdir()]
    assert leftovers == ["aircraft.parquet"]


def test_load_before_import_is_none(tmp_path: Path) -> None:
    assert load_aircraft_db(tmp_path) is None


def test_missing_icao24_column_is_corrupt_input(tmp_path: Path) -> None:
    csv_path = tmp_path / "x.csv"
    csv_path.write_text("a,b\n1,2\n")
    with pytest.raises(CorruptInput, match="icao24"):
        import_aircraft_db(csv_path, tmp_path / "data")
    assert load_aircraft_db(tmp_path / "data") is None
