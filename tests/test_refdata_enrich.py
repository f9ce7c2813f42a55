from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from aerolake.refdata.enrich import enrich
from aerolake.schema import SILVER_SCHEMA, VALID_SCHEMA

NOW = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


def _valid(rows: list[tuple[str, str | None]]) -> pa.Table:
    """Valid rows with the given (icao24, callsign) and plausible other values."""
    n = len(rows)
    data: dict[str, list[object]] = {}
    for field in VALID_SCHEMA:
        if field.name == "icao24":
            data[field.name] = [r[0] for r in rows]
        elif field.name == "callsign":
            data[field.name] = [r[1] for r in rows]
        elif field.name == "time":
            data[field.name] = [1_709_294_400 + i for i in range(n)]
        elif field.name == "ingested_at":
            data[field.name] = [NOW] * n
        elif field.name in ("source", "batch_id"):
            data[field.name] = ["simulator"] * n
        elif field.name == "stale":
            data[field.name] = [False] * n
        elif pa.types.is_floating(field.type):
            data[field.name] = [float(i) for i in range(n)]
        elif pa.types.is_boolean(field.type):
            data[field.name] = [False] * n
        else:
            data[field.name] = [None] * n
    return pa.table(data, schema=VALID_SCHEMA)


AIRCRAFT = pa.table(
    {
        "icao24": ["800abc", "a1b2c3"],
        "registration": ["VT-IJA", "N12345"],
        "typecode": ["A20N", "C172"],
        "model": [None, None],
        "operator": ["IndiGo", None],
    }
)


def test_enrich_schema_and_values() -> None:
    valid = _valid(
        [
            ("800abc", "IGO6054 "),
            ("a1b2c3", "N12345"),
            ("896001", "UAE512"),
            ("3c6589", None),
            ("800abc", "VTANB"),
        ]
    )
    out = enrich(valid, AIRCRAFT)
    assert out.schema == SILVER_SCHEMA
    assert out.num_rows == 5
    assert out.column("airline_icao").to_pylist() == ["IGO", None, "UAE", None, None]
    assert out.column("airline_name").to_pylist() == ["IndiGo", None, "Emirates", None, None]
    assert out.column("registration_country").to_pylist() == [
        "India",
        "United States",
        "United Arab Emirates",
        "Germany",
        "India",
    ]
    assert out.column("registration").to_pylist() == ["VT-IJA", "N12345", None, None, "VT-IJA"]
    assert out.column("typecode").to_pylist() == ["A20N", "C172", None, None, "A20N"]
    # The original columns are untouched and in order.
    assert out.select(VALID_SCHEMA.names).equals(valid)


def test_enrich_without_aircraft_db() -> None:
    out = enrich(_valid([("800abc", "AIC101")]), None)
    assert out.schema == SILVER_SCHEMA
    assert out.column("registration").to_pylist() == [None]
    assert out.column("typecode").to_pylist() == [None]
    assert out.column("airline_name").to_pylist() == ["Air India"]


def test_enrich_empty_and_chunked() -> None:
    empty = enrich(VALID_SCHEMA.empty_table(), AIRCRAFT)
    assert empty.schema == SILVER_SCHEMA
    assert empty.num_rows == 0
    a = _valid([("800abc", "IGO1"), ("a1b2c3", "BAW2")])
    chunked = pa.concat_tables([a.slice(0, 1), a.slice(1, 1)])
    out = enrich(chunked, AIRCRAFT)
    assert out.column("airline_icao").to_pylist() == ["IGO", "BAW"]
    assert out.column("registration").to_pylist() == ["VT-IJA", "N12345"]


def test_enrich_rejects_wrong_input() -> None:
    with pytest.raises(ValueError, match="stale"):
        enrich(_valid([("800abc", "IGO1")]).drop_columns(["stale"]), None)
