"""Arrow data is fitted to a table's DDL, or refused with a message naming the problem."""

from __future__ import annotations

import datetime as dt
import math

import pyarrow as pa
import pytest

from aerolake.errors import ServingError
from aerolake.serving.conform import conform
from aerolake.serving.ddl import TABLES
from aerolake.serving.synthetic import synthetic_rows

SPEC = TABLES["raw_telemetry"]


def rows(n: int = 4) -> pa.Table:
    return synthetic_rows("raw_telemetry", n)


def test_columns_come_back_in_ddl_order_and_types() -> None:
    data = rows()
    shuffled = data.select(list(reversed(data.column_names)))
    out = conform(SPEC, shuffled)
    assert out.schema == SPEC.arrow_schema
    assert out.to_pylist() == data.to_pylist()


def test_missing_and_extra_columns_are_named() -> None:
    data = rows().drop_columns(["velocity", "squawk"]).append_column("speed_kt", pa.array([1] * 4))
    with pytest.raises(ServingError) as err:
        conform(SPEC, data)
    message = str(err.value)
    assert "raw_telemetry" in message
    assert "['velocity', 'squawk']" in message
    assert "['speed_kt']" in message


def test_nan_and_infinity_become_null() -> None:
    data = rows().set_column(
        SPEC.column_names.index("velocity"),
        "velocity",
        pa.array([math.nan, math.inf, -math.inf, 12.5]),
    )
    out = conform(SPEC, data)
    assert out.column("velocity").to_pylist() == [None, None, None, 12.5]


def test_float32_nan_becomes_null_too() -> None:
    data = rows(2).set_column(
        SPEC.column_names.index("lat"), "lat", pa.array([math.nan, 1.5], pa.float32())
    )
    assert conform(SPEC, data).column("lat").to_pylist() == [None, 1.5]


def test_naive_timestamps_are_refused() -> None:
    naive = pa.array([1_717_243_200_000_000] * 4, pa.timestamp("us"))  # no time zone
    data = rows().set_column(SPEC.column_names.index("ts"), "ts", naive)
    with pytest.raises(ServingError, match=r"raw_telemetry\.ts.*time-zone-aware"):
        conform(SPEC, data)


def test_other_zones_and_units_become_utc_microseconds() -> None:
    instant = dt.datetime(2024, 6, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
    local = pa.array([int(instant.timestamp() * 1e9)] * 4, pa.timestamp("ns", tz="Asia/Kolkata"))
    data = rows().set_column(SPEC.column_names.index("ts"), "ts", local)
    out = conform(SPEC, data).column("ts")
    assert out.type == pa.timestamp("us", tz="UTC")
    assert out.to_pylist()[0] == instant


def test_nulls_in_not_null_columns_are_refused() -> None:
    data = rows().set_column(
        SPEC.column_names.index("icao24"), "icao24", pa.array(["a", None, "b", "c"])
    )
    with pytest.raises(ServingError, match=r"raw_telemetry\.icao24 is NOT NULL.*1 rows"):
        conform(SPEC, data)


def test_values_that_do_not_fit_the_type_are_refused() -> None:
    data = rows().set_column(SPEC.column_names.index("time"), "time", pa.array([0.5] * 4))
    with pytest.raises(ServingError, match=r"raw_telemetry\.time"):
        conform(SPEC, data)


def test_dictionary_strings_are_decoded() -> None:
    dictionary = pa.array(["x", "y", "x", "y"]).dictionary_encode()
    data = rows().set_column(SPEC.column_names.index("callsign"), "callsign", dictionary)
    assert conform(SPEC, data).column("callsign").to_pylist() == ["x", "y", "x", "y"]
