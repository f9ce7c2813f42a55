"""The JSON message contract of ``aerolake.states.raw`` (docs/state-message.schema.json).

One JSON object per state vector, keyed by ``icao24``, with OpenSky's field names and SI units:

- required (value may be null unless noted): ``time`` (integer unix s, not null), ``icao24``
  (string, not null), ``lat``, ``lon`` (deg), ``velocity`` (m/s), ``heading`` (deg),
  ``vertrate`` (m/s), ``callsign``, ``onground``, ``alert``, ``spi``, ``squawk``,
  ``baroaltitude``, ``geoaltitude`` (m), ``lastposupdate``, ``lastcontact`` (unix s), and
  ``source`` (string, not null: ``opensky``, ``simulator``, ``simulator-fallback``, ...);
- optional: ``origin_country`` (string), ``category`` (integer 0..20, OpenSky's emitter
  category), ``batch_id`` (string), ``ingested_at`` (unix s the source boundary read it).

Decoding checks the contract only (JSON, object, keys, types, size); value rules (ranges,
formats) belong to :func:`aerolake.validate.validate`. A message breaking the contract becomes a
:class:`DeadLetter` with the first reason, checked in this order: ``oversized`` (> 16 KiB),
``invalid_json``, ``not_an_object``, ``missing_field:<name>``, ``unknown_key:<name>`` (unknown
keys are rejected, not ignored: a misspelt key would otherwise turn into a silent null),
``wrong_type:<name>`` (including null in a not-null field, a fractional ``time``, a boolean
where a number is expected, an integer beyond 64 bits), ``out_of_range:<name>`` (``category``
outside 0..20, ``ingested_at`` outside 1970..2100).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Final, Literal

import msgspec
import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from aerolake.schema import STATE_SCHEMA
from aerolake.stream.jsonrows import encode_batch

__all__ = [
    "ALLOWED",
    "FIELDS",
    "MAX_MESSAGE_BYTES",
    "REQUIRED",
    "DeadLetter",
    "Decoded",
    "decode_batch",
    "encode_batch",
    "encode_deadletter",
    "encode_object",
    "problem",
]

MAX_MESSAGE_BYTES: Final[int] = 16 * 1024

Kind = Literal["int", "num", "str", "bool"]

#: Contract fields: (name, kind, nullable, required).
FIELDS: Final[tuple[tuple[str, Kind, bool, bool], ...]] = (
    ("time", "int", False, True),
    ("icao24", "str", False, True),
    ("lat", "num", True, True),
    ("lon", "num", True, True),
    ("velocity", "num", True, True),
    ("heading", "num", True, True),
    ("vertrate", "num", True, True),
    ("callsign", "str", True, True),
    ("onground", "bool", True, True),
    ("alert", "bool", True, True),
    ("spi", "bool", True, True),
    ("squawk", "str", True, True),
    ("baroaltitude", "num", True, True),
    ("geoaltitude", "num", True, True),
    ("lastposupdate", "num", True, True),
    ("lastcontact", "num", True, True),
    ("source", "str", False, True),
    ("origin_country", "str", True, False),
    ("category", "int", True, False),
    ("batch_id", "str", True, False),
    ("ingested_at", "num", True, False),
)
REQUIRED: Final[frozenset[str]] = frozenset(n for n, _, _, req in FIELDS if req)
ALLOWED: Final[frozenset[str]] = frozenset(n for n, *_ in FIELDS)
_NUM_FIELDS: Final[tuple[str, ...]] = tuple(n for n, k, _, _ in FIELDS if k == "num")
_TIME: Final = operator.itemgetter("time")
_ARROW: Final[dict[Kind, pa.DataType]] = {
    "int": pa.int64(),
    "num": pa.float64(),
    "str": pa.string(),
    "bool": pa.bool_(),
}
_STRUCT: Final[pa.StructType] = pa.struct([(n, _ARROW[k]) for n, k, _, _ in FIELDS])
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_PYTHON: Final[dict[Kind, type]] = {"int": int, "num": float, "str": str, "bool": bool}
#: The contract as a typed struct: msgspec refuses what the exact check would (wrong or
#: unknown keys, nulls in not-null fields, booleans for numbers, fractional integers), so a
#: batch it decodes whole needs no per-message screen.
_Message = msgspec.defstruct(
    "_Message",
    [
        (n, _PYTHON[k] | None if nullable else _PYTHON[k])
        if required
        else (n, _PYTHON[k] | None if nullable else _PYTHON[k], None)
        for n, k, nullable, required in FIELDS
    ],
    forbid_unknown_fields=True,
    gc=False,
)
_DECODER: Final = msgspec.json.Decoder(_Message)


def _columns(objs: list[Any]) -> list[list[Any]]:
    """The fields of typed messages as columns, in :data:`FIELDS` order (one list
    comprehension per field: attribute loads in a comprehension are several times cheaper
    than ``map(attrgetter)``; ``test_messages`` checks the order against FIELDS)."""
    return [
        [o.time for o in objs],
        [o.icao24 for o in objs],
        [o.lat for o in objs],
        [o.lon for o in objs],
        [o.velocity for o in objs],
        [o.heading for o in objs],
        [o.vertrate for o in objs],
        [o.callsign for o in objs],
        [o.onground for o in objs],
        [o.alert for o in objs],
        [o.spi for o in objs],
        [o.squawk for o in objs],
        [o.baroaltitude for o in objs],
        [o.geoaltitude for o in objs],
        [o.lastposupdate for o in objs],
        [o.lastcontact for o in objs],
        [o.source for o in objs],
        [o.origin_country for o in objs],
        [o.category for o in objs],
        [o.batch_id for o in objs],
        [o.ingested_at for o in objs],
    ]


#: Bounds the contract itself sets (other ranges are validation's business).
_RANGES: Final[dict[str, tuple[float, float]]] = {
    "category": (0, 20),
    "ingested_at": (0.0, 4_102_444_800.0),  # 1970 .. 2100, unix s
}


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message that could not be processed: its position in the input, why, and its bytes."""

    index: int
    reason: str
    payload: bytes


@dataclass(frozen=True)
class Decoded:
    """``states`` in STATE_SCHEMA; ``category`` (int8) and ``index`` (input position) align."""

    states: pa.Table
    category: pa.Array
    index: npt.NDArray[np.int64]
    deadletters: list[DeadLetter]


def _type_ok(kind: Kind, value: object) -> bool:
    cls = value.__class__
    if kind == "str":
        return cls is str
    if kind == "bool":
        return cls is bool
    if cls is int:
        return _INT64_MIN <= value <= _INT64_MAX  # type: ignore[operator]
    if kind == "int":
        return (
            cls is float
            and value.is_integer()  # type: ignore[attr-defined]
            and _INT64_MIN <= value <= _INT64_MAX  # type: ignore[operator]
        )
    return cls is float


def problem(obj: object) -> str | None:
    """The first contract violation of one parsed message, or None (the slow, exact check)."""
    if not isinstance(obj, dict):
        return "not_an_object"
    for name, _, _, required in FIELDS:
        if required and name not in obj:
            return f"missing_field:{name}"
    for key in obj:
        if key not in ALLOWED:
            return f"unknown_key:{key}"
    for name, kind, nullable, _ in FIELDS:
        value = obj.get(name)
        if value is None:
            if not nullable:
                return f"wrong_type:{name}"
        elif not _type_ok(kind, value):
            return f"wrong_type:{name}"
    return None


def _parse(values: Sequence[bytes], keep: list[int]) -> tuple[list[Any], list[int], list[int]]:
    """Parse ``values[i]`` for i in ``keep``: (objects, their indices, indices of invalid JSON)."""
    loads = orjson.loads
    try:
        if len(keep) == len(values):
            return list(map(loads, values)), keep, []
        return [loads(values[i]) for i in keep], keep, []
    except orjson.JSONDecodeError:
        pass
    objs: list[Any] = []
    ok: list[int] = []
    bad: list[int] = []
    for i in keep:
        try:
            objs.append(loads(values[i]))
            ok.append(i)
        except orjson.JSONDecodeError:
            bad.append(i)
    return objs, ok, bad


def _shapes_ok(objs: list[Any]) -> bool:
    """True when every object certainly passes the key and integer checks of :func:`problem`.

    Batch-wide and cheap: the distinct classes, key sequences and integer-field value classes
    are collected in C loops and each distinct one is judged once.
    """
    if not set(map(type, objs)) <= {dict}:
        return False
    if not all(
        REQUIRED.issubset(keys) and ALLOWED.issuperset(keys) for keys in set(map(tuple, objs))
    ):
        return False
    # arrow truncates 1.5 to 1 in an int64 field, so fractional integers must not reach it
    return set(map(type, map(_TIME, objs))) <= {int} and set(
        map(type, map(dict.get, objs, repeat("category")))
    ) <= {int, type(None)}


def _screen_objects(
    objs: list[Any], idx: list[int], dead: dict[int, str]
) -> tuple[list[Any], list[int]]:
    """Drop objects with a wrong key set or a non-integer integer field, with their reason."""
    if _shapes_ok(objs):
        return objs, idx
    kept_objs: list[Any] = []
    kept_idx: list[int] = []
    for o, i in zip(objs, idx, strict=True):
        ok = (
            o.__class__ is dict
            and o.keys() >= REQUIRED
            and o.keys() <= ALLOWED
            and o["time"].__class__ is int
            and o.get("category").__class__ in (int, type(None))
        )
        reason = None if ok else problem(o)
        if reason is None:
            kept_objs.append(o)
            kept_idx.append(i)
        else:
            dead[i] = reason
    return kept_objs, kept_idx


def _to_struct(
    objs: list[Any], idx: list[int], dead: dict[int, str]
) -> tuple[pa.StructArray, list[Any], list[int]]:
    """Convert checked objects to the contract struct; anything arrow refuses is dead-lettered."""
    try:
        return pa.array(objs, type=_STRUCT), objs, idx
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        pass
    keep_objs: list[Any] = []
    keep_idx: list[int] = []
    for obj, i in zip(objs, idx, strict=True):
        reason = problem(obj)
        if reason is None:
            try:
                pa.array([obj], type=_STRUCT)
            except (pa.ArrowException, OverflowError, TypeError, ValueError):
                reason = "wrong_type"
        if reason is None:
            keep_objs.append(obj)
            keep_idx.append(i)
        else:
            dead[i] = reason
    return pa.array(keep_objs, type=_STRUCT), keep_objs, keep_idx


def _typed(values: Sequence[bytes], keep: list[int]) -> pa.StructArray | None:
    """The contract struct of ``values[i]`` for i in ``keep`` when every one of them decodes as
    a typed message (the fast path), else None: the caller takes the exact path."""
    decode = _DECODER.decode
    try:
        if len(keep) == len(values):
            objs = list(map(decode, values))
        else:
            objs = [decode(values[i]) for i in keep]
        columns = [
            pa.array(values, type=fld.type)
            for values, fld in zip(_columns(objs), _STRUCT, strict=True)
        ]
    except (msgspec.MsgspecError, pa.ArrowException, OverflowError, TypeError, ValueError):
        return None
    return pa.StructArray.from_arrays(columns, fields=list(_STRUCT))


def decode_batch(values: Sequence[bytes], *, now: dt.datetime, batch_id: str = "stream") -> Decoded:
    """Decode raw message values into canonical states, dead-lettering contract violations.

    ``now`` (UTC) fills ``ingested_at`` where the message has none; ``batch_id`` likewise.
    Pure. Fast path: every message decodes as a typed ``msgspec`` struct, which refuses what
    the contract refuses, so only the ranges are left to check. Otherwise (any message breaks
    the contract) the exact path: one ``orjson.loads`` per message, one arrow conversion and
    a few batch-wide screens, with the per-message check (:func:`problem`) only on messages a
    screen flags. Both give the same result.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware UTC")
    dead: dict[int, str] = {}
    n = len(values)
    oversized = np.flatnonzero(np.fromiter(map(len, values), np.int64, n) > MAX_MESSAGE_BYTES)
    keep = list(range(n))
    if len(oversized):
        dead.update((int(i), "oversized") for i in oversized)
        keep = sorted(set(keep).difference(dead))
    typed = _typed(values, keep)
    if typed is not None:
        struct, idx = _screen_values(typed, None, keep, dead)
    else:
        objs, idx, bad_json = _parse(values, keep)
        dead.update((i, "invalid_json") for i in bad_json)
        objs, idx = _screen_objects(objs, idx, dead)
        struct, objs, idx = _to_struct(objs, idx, dead)
        struct, idx = _screen_values(struct, objs, idx, dead)

    deadletters = [DeadLetter(i, dead[i], bytes(values[i])) for i in sorted(dead)]
    return Decoded(
        _states(struct, now, batch_id),
        struct.field("category").cast(pa.int8()),
        # every message kept: idx is 0..n-1
        np.arange(n, dtype=np.int64) if len(idx) == n else np.asarray(idx, dtype=np.int64),
        deadletters,
    )


def _screen_values(
    struct: pa.StructArray, objs: list[Any] | None, idx: list[int], dead: dict[int, str]
) -> tuple[pa.StructArray, list[int]]:
    """Vectorised checks arrow's conversion cannot make: nulls in not-null fields, booleans
    given where numbers are expected (arrow reads ``true`` as 1.0), category range. ``objs``
    None: the rows were decoded typed, so only the ranges are left to check."""
    n = len(struct)
    if n == 0:
        return struct, idx
    suspect = np.zeros(n, dtype=bool)
    if objs is not None:
        for name in ("time", "icao24", "source"):
            suspect |= np.asarray(struct.field(name).is_null(), dtype=bool)
        # A boolean in a number field arrives as exactly 0.0 or 1.0: only such rows are checked.
        for name in _NUM_FIELDS:
            values = np.asarray(struct.field(name).fill_null(0.5), dtype=np.float64)
            flagged = np.flatnonzero((values == 0.0) | (values == 1.0))
            if len(flagged):
                suspect[flagged[[objs[j].get(name).__class__ is bool for j in flagged]]] = True
    out_of_range = np.zeros(n, dtype=bool)
    range_reason = np.full(n, "", dtype=object)
    for name, (lo, hi) in _RANGES.items():
        col = struct.field(name)
        mask = np.asarray(
            pc.fill_null(pc.or_(pc.less(col, lo), pc.greater(col, hi)), False), dtype=bool
        )
        range_reason[mask & ~out_of_range] = f"out_of_range:{name}"
        out_of_range |= mask
    if not suspect.any() and not out_of_range.any():
        return struct, idx
    keep = np.ones(n, dtype=bool)
    for j in np.flatnonzero(suspect | out_of_range):
        reason = problem(objs[j]) if suspect[j] and objs is not None else None
        if reason is None and out_of_range[j]:
            reason = str(range_reason[j])
        if reason is not None:
            dead[idx[j]] = reason
            keep[j] = False
    kept = np.flatnonzero(keep)
    return struct.take(pa.array(kept)), [idx[j] for j in kept]


def _states(struct: pa.StructArray, now: dt.datetime, batch_id: str) -> pa.Table:
    n = len(struct)
    cols: list[pa.Array] = []
    for fld in STATE_SCHEMA:
        if fld.name == "ingested_at":
            secs = struct.field("ingested_at")
            micros = pc.cast(pc.round(pc.multiply(secs, 1e6)), pa.int64())
            arr = pc.fill_null(micros.cast(pa.timestamp("us", tz="UTC")), pa.scalar(now, fld.type))
        elif fld.name == "batch_id":
            arr = pc.fill_null(struct.field("batch_id"), batch_id)
        else:
            arr = struct.field(fld.name)
        cols.append(arr.cast(fld.type) if n else pa.array([], fld.type))
    return pa.Table.from_arrays(cols, schema=STATE_SCHEMA)


def encode_object(obj: Mapping[str, Any]) -> bytes:
    """One JSON object (alerts, dead letters); datetimes become ISO-8601 strings."""
    return orjson.dumps(obj)


def encode_deadletter(
    letter: DeadLetter,
    *,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
) -> bytes:
    """The dead-letter message: reason, where the message came from, and its payload as text
    (invalid UTF-8 replaced; cut at 16 KiB with ``truncated`` true)."""
    payload = letter.payload[:MAX_MESSAGE_BYTES]
    return orjson.dumps(
        {
            "reason": letter.reason,
            "topic": topic,
            "partition": partition,
            "offset": offset,
            "payload": payload.decode("utf-8", errors="replace"),
            "truncated": len(letter.payload) > MAX_MESSAGE_BYTES,
        }
    )
