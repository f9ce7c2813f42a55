"""Validation rules: every reason code, the transformations, and the no-loss invariant."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aerolake.schema import QUARANTINE_SCHEMA, STATE_SCHEMA, VALID_SCHEMA
from aerolake.validate import REASONS, validate

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
T0 = int(NOW.timestamp()) - 3600


def row(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "time": T0,
        "icao24": "800abc",
        "lat": 28.5,
        "lon": 77.1,
        "velocity": 230.0,
        "heading": 90.0,
        "vertrate": 0.0,
        "callsign": "IGO6054 ",
        "onground": False,
        "alert": False,
        "spi": False,
        "squawk": "2341",
        "baroaltitude": 11000.0,
        "geoaltitude": 11100.0,
        "lastposupdate": T0 - 1.0,
        "lastcontact": T0 - 0.5,
        "origin_country": "India",
        "source": "files",
        "ingested_at": NOW,
        "batch_id": "b1",
    }
    base.update(over)
    return base


def table(*rows: dict[str, Any]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=STATE_SCHEMA)


CASES = [
    ("bad_icao24", {"icao24": "80abc"}),
    ("bad_icao24", {"icao24": "80abcg"}),
    ("bad_time", {"time": 100}),
    ("bad_time", {"time": T0 + 10 * 86400}),
    ("bad_time", {"lastcontact": T0 + 60.0}),
    ("no_position", {"lat": None}),
    ("no_position", {"lon": float("nan")}),
    ("lat_out_of_range", {"lat": 91.0}),
    ("lon_out_of_range", {"lon": -180.5}),
    ("velocity_out_of_range", {"velocity": 701.0}),
    ("velocity_out_of_range", {"velocity": -1.0}),
    ("altitude_out_of_range", {"baroaltitude": 20001.0}),
    ("altitude_out_of_range", {"geoaltitude": -401.0}),
    ("vertrate_out_of_range", {"vertrate": -100.5}),
    ("bad_squawk", {"squawk": "7800"}),
    ("bad_squawk", {"squawk": "12a4"}),
]


@pytest.mark.parametrize(("reason", "over"), CASES)
def test_each_rule_quarantines_with_its_reason(reason: str, over: dict[str, Any]) -> None:
    out = validate(table(row(**over), row(time=T0 + 5)), now=NOW)
    assert out.valid.num_rows == 1
    assert out.quarantined.column("reason").to_pylist() == [reason]
    assert reason in REASONS


def test_row_positions_are_reported() -> None:
    out = validate(table(row(), row(lat=None), row(time=T0 + 5), row(icao24="zz")), now=NOW)
    assert out.valid_index.tolist() == [0, 2]
    assert out.quarantine_index.tolist() == [1, 3]


def test_first_broken_rule_wins() -> None:
    out = validate(table(row(icao24="xyz", lat=None, velocity=900.0)), now=NOW)
    assert out.quarantined.column("reason").to_pylist() == ["bad_icao24"]


def test_normalisation_of_valid_rows() -> None:
    out = validate(table(row(icao24="800ABC", callsign="  igo6054 ", squawk=" ")), now=NOW)
    r = out.valid.to_pylist()[0]
    assert (r["icao24"], r["callsign"], r["squawk"]) == ("800abc", "IGO6054", None)
    blank = validate(table(row(callsign="        ")), now=NOW).valid.to_pylist()[0]
    assert blank["callsign"] is None


def test_nulls_in_optional_fields_are_valid() -> None:
    out = validate(
        table(row(velocity=None, heading=None, squawk=None, baroaltitude=None, callsign=None)),
        now=NOW,
    )
    assert out.valid.num_rows == 1 and out.quarantined.num_rows == 0


def test_stale_is_marked_not_quarantined() -> None:
    out = validate(
        table(row(lastcontact=T0 - 16.0), row(time=T0 + 5, lastcontact=T0 - 9.0)), now=NOW
    )
    assert out.valid.column("stale").to_pylist() == [True, False]


def test_duplicates_collapse_to_first_occurrence() -> None:
    out = validate(
        table(
            row(callsign="FIRST"), row(time=T0 + 5), row(callsign="SECOND"), row(icao24="800ABD")
        ),
        now=NOW,
    )
    assert out.valid.column("callsign").to_pylist() == ["FIRST", "IGO6054", "IGO6054"]
    assert out.quarantined.column("reason").to_pylist() == ["duplicate"]
    assert out.quarantined.column("callsign").to_pylist() == ["SECOND"]


def test_duplicate_only_among_valid_rows() -> None:
    # The first copy is invalid, so the second is the first *valid* occurrence and is kept.
    out = validate(table(row(lat=None), row()), now=NOW)
    assert out.valid.num_rows == 1
    assert out.reason_counts() == {"no_position": 1}


def test_schemas_and_empty_input() -> None:
    out = validate(STATE_SCHEMA.empty_table(), now=NOW)
    assert out.valid.schema == VALID_SCHEMA and out.quarantined.schema == QUARANTINE_SCHEMA
    out = validate(table(row(), row(lat=None)), now=NOW)
    assert out.valid.schema == VALID_SCHEMA and out.quarantined.schema == QUARANTINE_SCHEMA


floats = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "time": st.integers(0, 2**40),
                "icao24": st.text(max_size=8),
                "lat": floats,
                "lon": floats,
                "velocity": floats,
                "vertrate": floats,
                "baroaltitude": floats,
                "geoaltitude": floats,
                "lastcontact": floats,
                "callsign": st.one_of(st.none(), st.text(max_size=10)),
                "squawk": st.one_of(st.none(), st.text(max_size=5)),
            }
        ),
        max_size=30,
    )
)
def test_no_row_is_lost_and_valid_rows_obey_the_rules(rows: list[dict[str, Any]]) -> None:
    out = validate(table(*(row(**r) for r in rows)), now=NOW)
    assert out.valid.num_rows + out.quarantined.num_rows == len(rows)
    assert set(out.quarantined.column("reason").to_pylist()) <= set(REASONS)
    for r in out.valid.to_pylist():
        assert len(r["icao24"]) == 6 and int(r["icao24"], 16) >= 0
        assert -90 <= r["lat"] <= 90 and -180 <= r["lon"] <= 180
        assert r["velocity"] is None or 0 <= r["velocity"] <= 700
    keys = [(r["icao24"], r["time"]) for r in out.valid.to_pylist()]
    assert len(keys) == len(set(keys))
