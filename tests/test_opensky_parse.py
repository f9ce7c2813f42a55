"""parse_states: positional mapping, rejected rows with reasons, corrupt payloads, and the
property that any JSON-ish input yields a STATE_SCHEMA batch or CorruptInput, nothing else."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aerolake.errors import CorruptInput
from aerolake.schema import STATE_SCHEMA
from aerolake.sources.opensky_parse import count_stale_positions, decode, parse_states
from fake_opensky import SNAPSHOT_TIME, payload, state

NOW = dt.datetime(2024, 6, 1, 12, 0, 5, tzinfo=dt.UTC)
URL = "http://opensky.test/api/states/all"


def parse(doc: Any) -> tuple[pa.RecordBatch, list[tuple[int, str]]]:
    return parse_states(doc, ingested_at=NOW, batch_id="b1", url=URL)


def test_maps_every_position_of_an_18_field_row_to_its_canonical_column() -> None:
    batch, reasons = parse(json.dumps(payload([state("800abc", age_s=3.0)])).encode())
    assert reasons == []
    assert batch.schema.equals(STATE_SCHEMA, check_metadata=True)
    assert batch.to_pylist() == [
        {
            "time": SNAPSHOT_TIME,
            "icao24": "800abc",
            "lat": 28.5,
            "lon": 77.1,
            "velocity": 230.5,
            "heading": 90.0,
            "vertrate": -1.5,
            "callsign": "IGO6054 ",  # raw: trimming is validation's job
            "onground": False,
            "alert": None,  # not in the REST API
            "spi": False,
            "squawk": "2341",
            "baroaltitude": 11000.0,
            "geoaltitude": 11100.0,
            "lastposupdate": SNAPSHOT_TIME - 3.0,
            "lastcontact": SNAPSHOT_TIME - 1.0,
            "origin_country": "India",
            "source": "opensky",
            "ingested_at": NOW,
            "batch_id": "b1",
        }
    ]


def test_17_field_rows_with_nulls_keep_the_nulls() -> None:
    names = "callsign time_position longitude latitude baro_altitude velocity true_track"
    nulls: dict[str, Any] = dict.fromkeys(
        [*names.split(), "vertical_rate", "geo_altitude", "squawk"]
    )
    doc = payload([state("abc123", extended=False, **nulls), state("abc124")])
    batch, reasons = parse(doc)
    assert reasons == []
    first = batch.to_pylist()[0]
    assert first["icao24"] == "abc123"
    assert first["lastcontact"] == SNAPSHOT_TIME - 1
    for column in ["callsign", "lat", "lon", "baroaltitude", "velocity", "heading", "squawk"]:
        assert first[column] is None, column
    assert batch.column("icao24").to_pylist() == ["abc123", "abc124"]


@pytest.mark.parametrize("states", [None, []])
def test_null_or_empty_states_give_an_empty_batch(states: Any) -> None:
    batch, reasons = parse({"time": SNAPSHOT_TIME, "states": states})
    assert batch.num_rows == 0 and reasons == []
    assert batch.schema.equals(STATE_SCHEMA)


def test_missing_states_key_is_an_empty_snapshot() -> None:
    batch, _ = parse({"time": SNAPSHOT_TIME})
    assert batch.num_rows == 0


def test_bad_rows_are_left_out_with_their_index_and_reason_code() -> None:
    rows: list[Any] = [
        state("000001"),
        state("000002")[:12],  # too short
        "800abc",  # not an array
        state("000004", latitude=True),  # boolean where a number belongs
        state("000005", velocity="fast"),
        state(None),  # icao24 is required
        state("000007", on_ground="no"),
        state("000008", longitude=10**400),
        state("000009", squawk=7700),
        state("000010"),
    ]
    batch, reasons = parse(payload(rows))
    assert batch.column("icao24").to_pylist() == ["000001", "000010"]
    codes = {index: reason.split(":")[0] for index, reason in reasons}
    assert codes == {
        1: "short_row",
        2: "not_array",
        3: "bad_type",
        4: "bad_type",
        5: "bad_type",
        6: "bad_type",
        7: "out_of_range",
        8: "bad_type",
    }
    assert "lat" in dict(reasons)[3] and "velocity" in dict(reasons)[4]


def test_non_finite_numbers_and_lone_surrogates_are_rejected_not_crashing() -> None:
    text = json.dumps(payload([state("000001"), state("000002"), state("000003")]))
    text = text.replace("230.5", "NaN", 1).replace('"000003"', '"\\ud800"')
    batch, reasons = parse(text.encode())
    assert batch.column("icao24").to_pylist() == ["000002"]
    assert [code.split(":")[0] for _, code in reasons] == ["not_finite", "bad_text"]


def test_rows_longer_than_18_are_tolerated() -> None:
    batch, reasons = parse(payload([[*state("000001"), "future field"]]))
    assert batch.num_rows == 1 and reasons == []


@pytest.mark.parametrize(
    ("raw", "found"),
    [
        (b"{not json", "could not decode"),
        (b"\xff\xfe garbage", "could not decode"),
        (b"[1, 2]", "found array"),
        (b'{"states": []}', "'time'"),
        (b'{"time": "1717243200", "states": []}', "found string"),
        (b'{"time": true, "states": []}', "found boolean"),
        (b'{"time": 1717243200, "states": {"a": 1}}', "'states'"),
        (b"[" * 100_000 + b"]" * 100_000, "could not decode"),
    ],
)
def test_corrupt_payloads_raise_corrupt_input_naming_the_url(raw: bytes, found: str) -> None:
    with pytest.raises(CorruptInput) as info:
        parse(raw)
    assert URL in str(info.value) and found in str(info.value)
    assert info.value.path == URL


def test_integral_float_time_is_accepted() -> None:
    assert decode({"time": 1717243200.0}, url=URL)[1] == 1717243200


def test_naive_ingested_at_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_states(payload([]), ingested_at=dt.datetime(2024, 6, 1), batch_id="b")  # noqa: DTZ001


def test_stale_positions_are_counted_not_dropped() -> None:
    rows = [state("a", age_s=5), state("b", age_s=16), state("c", age_s=120)]
    rows.append(state("d", time_position=None))
    batch, _ = parse(payload(rows))
    assert batch.num_rows == 4
    assert count_stale_positions(batch) == 2
    assert count_stale_positions(batch, after_s=200) == 0


# properties ----------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=10)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=20) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=60,
)
json_elements = json_scalars | st.lists(json_scalars, max_size=3)  # what a state array holds


def assert_contract(doc: Any) -> None:
    """Either a STATE_SCHEMA batch whose rows plus rejects cover ``states``, or CorruptInput."""
    try:
        batch, reasons = parse(doc)
    except CorruptInput as exc:
        assert URL in str(exc)
        return
    assert batch.schema.equals(STATE_SCHEMA)
    batch.validate(full=True)
    assert batch.column("icao24").null_count == 0
    assert batch.column("time").null_count == 0
    indices = [i for i, _ in reasons]
    assert indices == sorted(set(indices))
    if isinstance(doc, dict) and isinstance(doc.get("states"), list):
        assert batch.num_rows + len(reasons) == len(doc["states"])
    for column in ("lat", "lon", "velocity", "lastposupdate"):
        values = [v for v in batch.column(column).to_pylist() if v is not None]
        assert all(math.isfinite(v) for v in values)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_values_never_raise_anything_but_corrupt_input(doc: Any) -> None:
    assert_contract(doc)


@settings(max_examples=300)
@given(st.lists(st.lists(json_elements, min_size=15, max_size=19), max_size=6), json_scalars)
def test_arbitrary_state_rows_never_raise_anything_but_corrupt_input(
    rows: list[list[Any]], time_value: Any
) -> None:
    assert_contract({"time": time_value, "states": rows})
    assert_contract({"time": SNAPSHOT_TIME, "states": rows})


VALID = payload([state(f"80{i:04x}", age_s=i) for i in range(6)] + [state("a", extended=False)])


@settings(max_examples=300)
@given(
    st.lists(
        st.tuples(st.integers(0, len(VALID["states"]) - 1), st.integers(0, 18), json_values),
        min_size=1,
        max_size=6,
    )
)
def test_mutated_valid_payloads_keep_the_contract(
    mutations: list[tuple[int, int, Any]],
) -> None:
    doc = json.loads(json.dumps(VALID))
    for row, position, value in mutations:
        target = doc["states"][row]
        if position < len(target):
            target[position] = value
        else:
            del target[position % 12 :]
    assert_contract(doc)
    assert_contract(json.dumps(doc).encode())


@settings(max_examples=300)
@given(st.data())
def test_byte_level_corruption_keeps_the_contract(data: st.DataObject) -> None:
    raw = bytearray(json.dumps(VALID).encode())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        if action == "flip":
            raw[at] = data.draw(st.integers(0, 255))
        elif action == "delete":
            del raw[at]
        else:
            raw[at:at] = data.draw(st.sampled_from([b",", b"]", b"[", b'"', b"null", b"\\u"]))
    assert_contract(bytes(raw))
