"""Normalise an OpenSky ``/states/*`` answer into :data:`~aerolake.schema.STATE_SCHEMA` rows.

Pure: no I/O, no clock. The API's positional arrays (17 elements, 18 with ``extended=1``) are
mapped by position to the canonical columns; nothing is trimmed, lower-cased or range-checked
here (that is validation's job). A row whose elements have the wrong JSON types, or that has
fewer than 17 elements, is left out of the batch and reported as ``(index, reason)`` so the
caller can count it; it is never silently dropped. Reasons start with a code
(``not_array``, ``short_row``, ``bad_type``, ``out_of_range``, ``not_finite``, ``bad_text``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from aerolake.errors import CorruptInput
from aerolake.schema import STALE_AFTER_S, STATE_SCHEMA

SOURCE: Final = "opensky"
MIN_FIELDS: Final = 17

_NONE: type = type(None)
_NUMBER: Final[frozenset[type]] = frozenset({int, float, _NONE})
_TEXT: Final[frozenset[type]] = frozenset({str, _NONE})
_FLAG: Final[frozenset[type]] = frozenset({bool, _NONE})
_INT64_MAX: Final = 2**63 - 1

# canonical column -> (position in the API array, accepted JSON types)
_COLUMNS: Final[dict[str, tuple[int, frozenset[type]]]] = {
    "icao24": (0, frozenset({str})),
    "callsign": (1, _TEXT),
    "origin_country": (2, _TEXT),
    "lastposupdate": (3, _NUMBER),  # time_position
    "lastcontact": (4, _NUMBER),  # last_contact
    "lon": (5, _NUMBER),
    "lat": (6, _NUMBER),
    "baroaltitude": (7, _NUMBER),
    "onground": (8, _FLAG),
    "velocity": (9, _NUMBER),
    "heading": (10, _NUMBER),  # true_track
    "vertrate": (11, _NUMBER),
    "geoaltitude": (13, _NUMBER),
    "squawk": (14, _TEXT),
    "spi": (15, _FLAG),
}

_TYPE_NAMES: Final = {
    _NONE: "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


def parse_states(
    payload: bytes | str | dict[str, Any],
    *,
    ingested_at: dt.datetime,
    batch_id: str,
    url: str | None = None,
) -> tuple[pa.RecordBatch, list[tuple[int, str]]]:
    """Rows of a ``/states/*`` answer in ``STATE_SCHEMA``, plus ``(index, reason)`` per rejected row.

    ``time`` is the response's ``time`` for every row (unix s); ``alert`` is null (the REST API
    has no such field); ``source`` is ``"opensky"``. Indices refer to the answer's ``states``
    array. ``states: null`` gives an empty batch. Raises :class:`CorruptInput` (naming ``url``)
    when the payload is not JSON, not an object, or lacks an integer ``time``.
    ``ingested_at`` must be timezone-aware UTC.
    """
    if ingested_at.tzinfo is None:
        raise ValueError("ingested_at must be timezone-aware UTC")
    where = url or "OpenSky /states answer"
    document, snapshot_time = decode(payload, url=where)
    states = document.get("states")
    if states is None:
        states = []
    if not isinstance(states, list):
        raise CorruptInput(
            f"expected 'states' to be an array or null, found {_type_name(states)}", path=where
        )

    reasons: dict[int, str] = {}
    rows: list[Sequence[Any]] = []
    kept: list[int] = []
    for index, state in enumerate(states):
        if not isinstance(state, list):
            reasons[index] = f"not_array: state is {_type_name(state)}, expected an array"
        elif len(state) < MIN_FIELDS:
            reasons[index] = f"short_row: state has {len(state)} elements, expected 17 or 18"
        else:
            rows.append(state)
            kept.append(index)

    arrays, bad = _columns(rows)
    for position, reason in bad.items():
        reasons[kept[position]] = reason
    if bad:
        keep = pa.array([i not in bad for i in range(len(rows))], pa.bool_())
        arrays = {name: arr.filter(keep) for name, arr in arrays.items()}
    batch = _assemble(arrays, len(rows) - len(bad), snapshot_time, ingested_at, batch_id)
    return batch, sorted(reasons.items())


def count_stale_positions(batch: pa.RecordBatch, *, after_s: float = STALE_AFTER_S) -> int:
    """Rows whose position is more than ``after_s`` seconds older than ``time``.

    Rows without a position time are not counted. Counts only; it marks and drops nothing.
    """
    age = pc.subtract(pc.cast(batch.column("time"), pa.float64()), batch.column("lastposupdate"))
    return int(pc.sum(pc.greater(age, after_s)).as_py() or 0)


def decode(payload: bytes | str | dict[str, Any], *, url: str) -> tuple[dict[str, Any], int]:
    """The answer as a JSON object and its snapshot ``time`` (unix s); :class:`CorruptInput`
    naming ``url`` when it is not JSON, not an object, or has no integer ``time``."""
    document = _load(payload, url)
    return document, _snapshot_time(document, url)


# helpers ------------------------------------------------------------------------------------


def _load(payload: bytes | str | dict[str, Any], where: str) -> dict[str, Any]:
    if isinstance(payload, bytes | str):
        try:
            payload = json.loads(payload)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
            raise CorruptInput(
                f"expected a JSON object, could not decode it: {exc}", path=where
            ) from None
    if not isinstance(payload, dict):
        raise CorruptInput(f"expected a JSON object, found {_type_name(payload)}", path=where)
    return payload


def _snapshot_time(document: dict[str, Any], where: str) -> int:
    value = document.get("time")
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is not int or abs(value) > _INT64_MAX:
        raise CorruptInput(
            f"expected an integer 'time' (unix s), found {_type_name(value)}", path=where
        )
    return value


def _columns(rows: list[Sequence[Any]]) -> tuple[dict[str, pa.Array], dict[int, str]]:
    """One Arrow array per mapped column, and the first reason per bad row position."""
    bad: dict[int, str] = {}
    arrays: dict[str, pa.Array] = {}
    for name, (position, accepted) in _COLUMNS.items():
        values = [row[position] for row in rows]
        kinds = set(map(type, values))
        if not kinds <= accepted or (int in kinds and _has_huge_int(values)):
            values = _blank_bad(values, name, accepted, bad)
        field_type = STATE_SCHEMA.field(name).type
        if int in kinds and pa.types.is_floating(field_type):
            # Arrow refuses ints above 2**53 for float64; Python rounds them like any JSON reader
            values = [float(v) if type(v) is int else v for v in values]
        try:
            arrays[name] = pa.array(values, field_type)
        except UnicodeEncodeError:  # lone surrogates decoded from "\\ud800" escapes
            values = _blank_unencodable(values, name, bad)
            arrays[name] = pa.array(values, field_type)
        if pa.types.is_floating(field_type) and arrays[name].null_count < len(values):
            finite = pc.fill_null(pc.is_finite(arrays[name]), True)
            for i in pc.indices_nonzero(pc.invert(finite)).to_pylist():
                bad.setdefault(i, f"not_finite: {name} is not a finite number")
    return arrays, bad


def _has_huge_int(values: list[Any]) -> bool:
    return any(type(v) is int and abs(v) > _INT64_MAX for v in values)


def _blank_bad(
    values: list[Any], name: str, accepted: frozenset[type], bad: dict[int, str]
) -> list[Any]:
    """Replace ill-typed values by None (their rows are filtered out later) and note why."""
    expected = " or ".join(sorted({_TYPE_NAMES[t] for t in accepted}))
    out: list[Any] = []
    for i, value in enumerate(values):
        if type(value) not in accepted:
            bad.setdefault(i, f"bad_type: {name} expected {expected}, found {_type_name(value)}")
            value = None
        elif type(value) is int and abs(value) > _INT64_MAX:
            bad.setdefault(i, f"out_of_range: {name} does not fit 64 bits")
            value = None
        out.append(value)
    return out


def _blank_unencodable(values: list[Any], name: str, bad: dict[int, str]) -> list[Any]:
    out: list[Any] = []
    for i, value in enumerate(values):
        try:
            if value is not None:
                value.encode("utf-8")
        except UnicodeEncodeError:
            bad.setdefault(i, f"bad_text: {name} is not valid Unicode")
            value = None
        out.append(value)
    return out


def _assemble(
    arrays: dict[str, pa.Array],
    n: int,
    snapshot_time: int,
    ingested_at: dt.datetime,
    batch_id: str,
) -> pa.RecordBatch:
    constant: dict[str, pa.Array] = {
        "time": pa.repeat(pa.scalar(snapshot_time, pa.int64()), n),
        "alert": pa.nulls(n, pa.bool_()),
        "source": pa.repeat(pa.scalar(SOURCE, pa.string()), n),
        "ingested_at": pa.repeat(pa.scalar(ingested_at, pa.timestamp("us", tz="UTC")), n),
        "batch_id": pa.repeat(pa.scalar(batch_id, pa.string()), n),
    }
    columns = [arrays.get(f.name, constant.get(f.name)) for f in STATE_SCHEMA]
    return pa.RecordBatch.from_arrays(columns, schema=STATE_SCHEMA)


def _type_name(value: object) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)
