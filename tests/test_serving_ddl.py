"""The reviewed DDL files parse into the specs the loaders use; bad DDL fails loudly."""

from __future__ import annotations

import pyarrow as pa
import pytest

from aerolake.serving.ddl import (
    DATA_TABLES,
    META_TABLES,
    TABLES,
    create_index_sql,
    create_table_sql,
    parse_ddl,
)


def test_every_table_has_a_ddl_file() -> None:
    assert set(TABLES) == set(DATA_TABLES) | set(META_TABLES)


def test_fact_flight_history_columns_and_keys() -> None:
    spec = TABLES["fact_flight_history"]
    assert spec.primary_key == ("flight_id",)
    assert spec.column_names[:3] == ("flight_id", "icao24", "callsign")
    assert spec.column_names[-1] == "destination_reason"
    assert len(spec.columns) == 61
    schema = spec.arrow_schema
    assert schema.field("flight_date").type == pa.date32()
    assert schema.field("first_seen").type == pa.timestamp("us", tz="UTC")
    assert schema.field("unique_squawk_codes").type == pa.int32()
    assert not schema.field("flight_id").nullable
    assert schema.field("callsign").nullable
    assert [i.columns for i in spec.indexes] == [
        ("flight_date",),
        ("icao24", "first_seen"),
        ("route",),
        ("callsign",),
    ]


def test_quoted_identifiers_keep_their_case_free_names() -> None:
    assert TABLES["raw_telemetry"].primary_key == ("icao24", "time")
    assert TABLES["dim_aircraft_utilization"].primary_key == ("icao24", "date")


def test_rendered_ddl_parses_back_to_the_same_spec() -> None:
    for spec in TABLES.values():
        text = create_table_sql(spec, spec.name) + ";\n"
        text += ";\n".join(create_index_sql(i, spec.name, i.name) for i in spec.indexes)
        again = parse_ddl(text.replace(f'CONSTRAINT "{spec.name}_pkey" ', ""))
        assert again == spec


@pytest.mark.parametrize(
    "ddl",
    [
        "CREATE TABLE t (a TEXT)",  # no primary key
        "CREATE TABLE t (a JSONB, PRIMARY KEY (a))",  # type outside the portable subset
        "CREATE TABLE t (a TEXT, a TEXT, PRIMARY KEY (a))",  # duplicate column
        "CREATE TABLE t (a TEXT, PRIMARY KEY (b))",  # unknown key column
        "CREATE TABLE t (a TEXT, PRIMARY KEY (a)); CREATE INDEX i ON u (a)",  # other table
        "CREATE TABLE t (a TEXT, PRIMARY KEY (a)); CREATE INDEX i ON t (zz)",  # unknown column
    ],
)
def test_ddl_outside_the_subset_is_rejected(ddl: str) -> None:
    with pytest.raises(ValueError):
        parse_ddl(ddl)
