"""The raw message contract: encode/decode roundtrip, JSON Schema, dead letters by reason."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pyarrow as pa
import pytest

from aerolake.schema import STATE_SCHEMA
from aerolake.sources.base import with_provenance
from aerolake.stream.messages import (
    FIELDS,
    MAX_MESSAGE_BYTES,
    decode_batch,
    encode_batch,
    encode_deadletter,
    problem,
)

NOW = dt.datetime(2024, 3, 4, 12, 0, tzinfo=dt.UTC)
T = int(NOW.timestamp()) - 60
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "docs" / "state-message.schema.json"


def states(n: int = 3, source: str = "opensky") -> pa.RecordBatch:
    table = pa.table(
        {
            "time": [T + i for i in range(n)],
            "icao24": [f"80{i:04x}" for i in range(n)],
            "lat": [20.0 + i for i in range(n)],
            "lon": [None] + [78.5] * (n - 1),
            "velocity": [230.5] * n,
            "heading": [90.0] * n,
            "vertrate": [-1.5] * n,
            "callsign": ["IGO123  "] + [None] * (n - 1),
            "onground": [False] * n,
            "alert": [None] + [False] * (n - 1),
            "spi": [False] * n,
            "squawk": ["7700"] + ["1234"] * (n - 1),
            "baroaltitude": [10000.0] * n,
            "geoaltitude": [10050.25] * n,
            "lastposupdate": [T - 0.5 + i for i in range(n)],
            "lastcontact": [T - 0.25 + i for i in range(n)],
            "origin_country": ["India"] * n,
        }
    )
    return with_provenance(table, source=source, batch_id="poll-1", ingested_at=NOW)


def good(**changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = orjson.loads(encode_batch(states(1))[0][1])
    obj.update(changes)
    return obj


def test_roundtrip_keeps_every_column_and_keys_by_icao24() -> None:
    batch = states(3)
    encoded = encode_batch(batch)
    assert [k for k, _ in encoded] == [b"800000", b"800001", b"800002"]
    decoded = decode_batch([v for _, v in encoded], now=NOW, batch_id="unused")
    assert decoded.deadletters == []
    assert decoded.states.schema == STATE_SCHEMA
    assert decoded.states.to_pylist() == pa.Table.from_batches([batch]).to_pylist()
    assert decoded.index.tolist() == [0, 1, 2]


def test_encoded_messages_match_the_documented_json_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for _, value in encode_batch(states(3)):
        validator.validate(orjson.loads(value))
    with_category = good(category=3)
    validator.validate(with_category)
    assert problem(with_category) is None
    bad = good(latitude=1.0)
    assert not validator.is_valid(bad)
    assert problem(bad) == "unknown_key:latitude"


def test_optional_fields_fill_in_provenance() -> None:
    obj = good()
    for key in ("batch_id", "ingested_at", "origin_country"):
        del obj[key]
    decoded = decode_batch([orjson.dumps(obj)], now=NOW, batch_id="fallback-id")
    row = decoded.states.to_pylist()[0]
    assert decoded.deadletters == []
    assert row["batch_id"] == "fallback-id"
    assert row["ingested_at"] == NOW
    assert row["origin_country"] is None


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "invalid_json"),
        (b"", "invalid_json"),
        (b"[1, 2]", "not_an_object"),
        (b'"a string"', "not_an_object"),
        (orjson.dumps({k: v for k, v in good().items() if k != "lat"}), "missing_field:lat"),
        (orjson.dumps({k: v for k, v in good().items() if k != "source"}), "missing_field:source"),
        (orjson.dumps(good(extra=1)), "unknown_key:extra"),
        (orjson.dumps(good(lat="20.5")), "wrong_type:lat"),
        (orjson.dumps(good(lat=True)), "wrong_type:lat"),
        (orjson.dumps(good(time=1.5e9 + 0.5)), "wrong_type:time"),
        (orjson.dumps(good(time="1709550000")), "wrong_type:time"),
        (orjson.dumps(good(time=None)), "wrong_type:time"),
        (orjson.dumps(good(icao24=None)), "wrong_type:icao24"),
        (orjson.dumps(good(icao24=8388608)), "wrong_type:icao24"),
        (orjson.dumps(good(squawk=7700)), "wrong_type:squawk"),
        (orjson.dumps(good(onground=0)), "wrong_type:onground"),
        (json.dumps(good(time=2**70)).encode(), "wrong_type:time"),
        (orjson.dumps(good(category=42)), "out_of_range:category"),
        (orjson.dumps(good(ingested_at=1e30)), "out_of_range:ingested_at"),
        (orjson.dumps(good(callsign="x" * MAX_MESSAGE_BYTES)), "oversized"),
    ],
)
def test_a_bad_message_is_dead_lettered_and_the_rest_pass(payload: bytes, reason: str) -> None:
    fine = [v for _, v in encode_batch(states(2))]
    decoded = decode_batch([fine[0], payload, fine[1]], now=NOW)
    assert [(d.index, d.reason) for d in decoded.deadletters] == [(1, reason)]
    assert decoded.deadletters[0].payload == payload
    assert decoded.index.tolist() == [0, 2]
    assert decoded.states.column("icao24").to_pylist() == ["800000", "800001"]


def test_the_word_true_inside_a_string_is_not_mistaken_for_a_boolean() -> None:
    value = orjson.dumps(good(callsign="truefalse", origin_country="true"))
    decoded = decode_batch([value], now=NOW)
    assert decoded.deadletters == []
    assert decoded.states.column("callsign").to_pylist() == ["truefalse"]


def test_integral_float_time_is_accepted_like_json_schema_does() -> None:
    decoded = decode_batch([orjson.dumps(good(time=float(T)))], now=NOW)
    assert decoded.deadletters == []
    assert decoded.states.column("time").to_pylist() == [T]


def test_many_bad_messages_of_every_kind_in_one_batch() -> None:
    fine = [v for _, v in encode_batch(states(4))]
    batch = [b"nope", fine[0], orjson.dumps(good(lat="x")), fine[1], b"{}", fine[2], fine[3]]
    decoded = decode_batch(batch, now=NOW)
    assert [(d.index, d.reason) for d in decoded.deadletters] == [
        (0, "invalid_json"),
        (2, "wrong_type:lat"),
        (4, "missing_field:time"),
    ]
    assert decoded.index.tolist() == [1, 3, 5, 6]


def test_empty_batch() -> None:
    decoded = decode_batch([], now=NOW)
    assert decoded.states.num_rows == 0
    assert decoded.states.schema == STATE_SCHEMA


def test_deadletter_message_names_reason_origin_and_truncates_payload() -> None:
    decoded = decode_batch([b"\xff" + b"x" * (2 * MAX_MESSAGE_BYTES)], now=NOW)
    letter = decoded.deadletters[0]
    out = orjson.loads(
        encode_deadletter(letter, topic="aerolake.states.raw", partition=2, offset=7)
    )
    assert out["reason"] == "oversized"
    assert (out["topic"], out["partition"], out["offset"]) == ("aerolake.states.raw", 2, 7)
    assert out["truncated"] is True
    assert len(out["payload"]) == MAX_MESSAGE_BYTES
    assert out["payload"].startswith("\ufffd")


def test_a_fractional_category_is_a_wrong_type_not_truncated() -> None:
    fine = encode_batch(states(1))[0][1]
    decoded = decode_batch([orjson.dumps(good(category=3.5)), fine], now=NOW)
    assert [(d.index, d.reason) for d in decoded.deadletters] == [(0, "wrong_type:category")]
    assert decoded.index.tolist() == [1]


def test_a_boolean_number_among_many_fine_messages_is_found() -> None:
    fine = [v for _, v in encode_batch(states(50))]
    batch = [*fine[:20], orjson.dumps(good(vertrate=False)), *fine[20:]]
    decoded = decode_batch(batch, now=NOW)
    assert [(d.index, d.reason) for d in decoded.deadletters] == [(20, "wrong_type:vertrate")]
    assert decoded.states.num_rows == 50


def test_encode_batch_writes_the_values_orjson_writes_row_by_row() -> None:
    floats = [1.0, -0.0, 0.1, 1e20, 123456789012.0, 2.5e-7, float("nan"), float("inf"), None]
    n = len(floats)
    batch = pa.record_batch(
        {
            "icao24": [f"80{i:04x}" for i in range(n)],
            "x": pa.array(floats, pa.float64()),
            "f": pa.array([None if v is None else 1.5 for v in floats], pa.float32()),
            "s": ['a"b', "c\\d", "e\nf", "\x01", "ünï", "plain", None, "", "x"],
            "b": [True, False, None] * 3,
            "k": pa.array([1, -5, None] * 3, pa.int8()),
            "at": pa.array([NOW] * n, pa.timestamp("us", tz="UTC")),
        }
    )
    encoded = encode_batch(batch)
    assert [k for k, _ in encoded] == [k.encode() for k in batch.column("icao24").to_pylist()]
    rows = [orjson.loads(v) for _, v in encoded]
    expected = [
        {**row, "x": row["x"] if row["x"] is None or abs(row["x"]) < 1e300 else None}
        for row in batch.to_pylist()
    ]
    for row, want in zip(rows, expected, strict=True):
        assert list(row) == ["icao24", "x", "f", "s", "b", "k", "at"]
        assert row["at"] == NOW.timestamp()
        want = {**want, "at": NOW.timestamp()}
        if want["x"] is not None and want["x"] != want["x"]:  # NaN is written as null
            want["x"] = None
        assert row == want
    assert encoded[0][1].startswith(b'{"icao24":"800000","x":1.0,')  # integral floats keep ".0"
    assert [type(r["x"]) for r in rows[:6]] == [float] * 6
    assert b"\n" not in b"".join(v for _, v in encoded)


TRICKY = [
    orjson.dumps(good()),
    orjson.dumps(good(category=3)),
    orjson.dumps(good(category=3.0)),
    orjson.dumps(good(category=42)),
    orjson.dumps(good(time=float(T))),
    orjson.dumps(good(lat=20)),
    orjson.dumps(good(lat=True)),
    orjson.dumps(good(ingested_at=1e30)),
    orjson.dumps(good(ingested_at=None, batch_id=None)),
    json.dumps(good(time=2**63)).encode(),
    json.dumps(good(category=2**64)).encode(),
    orjson.dumps(good(callsign='caf\u00e9 "q"')),
    b'{"time": 1, ' + orjson.dumps(good())[1:],  # a duplicate key: the last one counts
    orjson.dumps(good()).replace(b'"lat":20.0', b'"lat":1e400'),
    orjson.dumps(good()).replace(b'"callsign":"IGO123  "', b'"callsign":"\\ud800"'),
    orjson.dumps(good(icao24=None)),
]


@pytest.mark.parametrize("payload", TRICKY)
def test_the_typed_fast_path_decodes_as_the_exact_path(
    payload: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aerolake.stream import messages

    fine = [v for _, v in encode_batch(states(3))]
    for batch in ([payload], [fine[0], payload, *fine[1:]]):
        fast = decode_batch(batch, now=NOW)
        with monkeypatch.context() as patched:
            patched.setattr(messages, "_typed", lambda values, keep: None)
            exact = decode_batch(batch, now=NOW)
        assert fast.deadletters == exact.deadletters
        assert fast.index.tolist() == exact.index.tolist()
        assert fast.states.equals(exact.states)
        assert fast.category.equals(exact.category)


def test_a_batch_of_fine_messages_takes_the_typed_path() -> None:
    from aerolake.stream import messages

    fine = [v for _, v in encode_batch(states(3))]
    assert messages._typed(fine, [0, 1, 2]) is not None
    assert messages._typed([*fine, b"{}"], [0, 1, 2, 3]) is None


def test_typed_columns_follow_the_contract_field_order() -> None:
    from aerolake.stream.messages import _columns, _Message

    message = _Message(**{name: k for k, (name, *_) in enumerate(FIELDS)})  # distinct values
    assert [column[0] for column in _columns([message])] == list(range(len(FIELDS)))


def test_encode_batch_escapes_strings_in_a_slice() -> None:
    batch = pa.record_batch(
        {"icao24": ["800001", "800002", "800003"], "s": ["plain", 'q"uote', "back\\slash"]}
    )
    for a in range(3):
        part = batch.slice(a, 3 - a)
        got = [orjson.loads(v) for _, v in encode_batch(part)]
        assert got == part.to_pylist()
