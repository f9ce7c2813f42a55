"""The live map's aircraft object: built from the speed layer's enriched rows. Pure.

One JSON object per aircraft (docs/web-api.md): altitudes in metres, speeds in m/s, angles in
degrees, times unix seconds (UTC). ``last_seen`` is the last contact (``lastcontact``, else the
row's ``time``); ``first_seen`` is when the live hub first heard the aircraft since it last
disappeared. ``simulated`` marks simulator rows, ``emergency`` an emergency squawk, ``stale``
an aircraft not heard for a while (validation's ``time - lastcontact`` rule, or the hub's).
Floats are rounded to what a map can show (about 1 m) to keep WebSocket frames small.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

#: Keys of the aircraft object, in output order.
FIELDS: Final[tuple[str, ...]] = (
    "icao24",
    "callsign",
    "airline_icao",
    "airline_name",
    "registration_country",
    "registration",
    "typecode",
    "lat",
    "lon",
    "baroaltitude",
    "geoaltitude",
    "velocity",
    "heading",
    "vertrate",
    "squawk",
    "onground",
    "phase",
    "nearest_airport",
    "first_seen",
    "last_seen",
    "source",
    "simulated",
    "emergency",
    "stale",
)

#: The fields that change with almost every state vector: a diff's ``updated`` carries only
#: ``icao24`` and those of these that changed, unless another field changed too.
UPDATE_FIELDS: Final[tuple[str, ...]] = (
    "icao24",
    "lat",
    "lon",
    "baroaltitude",
    "geoaltitude",
    "velocity",
    "heading",
    "vertrate",
    "squawk",
    "last_seen",
)

#: The other keys: when one of them changed, ``updated`` carries the whole object.
SLOW_FIELDS: Final[tuple[str, ...]] = tuple(f for f in FIELDS if f not in UPDATE_FIELDS)

EMERGENCY_SQUAWKS: Final[frozenset[str]] = frozenset({"7500", "7600", "7700"})
SIMULATED_SOURCES: Final[frozenset[str]] = frozenset({"simulator", "simulator-fallback"})

#: Decimal places kept per float column (1e-5 deg is about 1 m).
ROUNDING: Final[dict[str, int]] = {
    "lat": 5,
    "lon": 5,
    "baroaltitude": 1,
    "geoaltitude": 1,
    "velocity": 1,
    "heading": 1,
    "vertrate": 2,
}

#: Fields of the aircraft object computed here rather than read from a state.
DERIVED_FIELDS: Final[frozenset[str]] = frozenset(
    {"first_seen", "last_seen", "simulated", "emergency"}
)

#: Input columns read from an enriched table (missing ones read as null): the state's time,
#: the object's fields that come straight from the state, and the last contact.
INPUT_COLUMNS: Final[tuple[str, ...]] = (
    "time",
    *(f for f in FIELDS if f not in DERIVED_FIELDS),
    "lastcontact",
)

CLIMB_MS: Final[float] = 2.5


def iter_rows(
    rows: pa.Table | pa.RecordBatch | Sequence[Mapping[str, Any]],
) -> Iterator[dict[str, Any]]:
    """Input rows as dicts of :data:`INPUT_COLUMNS`, floats rounded; Arrow read column-wise."""
    if isinstance(rows, pa.Table | pa.RecordBatch):
        n = rows.num_rows
        names = set(rows.schema.names)
        columns: list[list[Any]] = []
        for name in INPUT_COLUMNS:
            if name not in names:
                columns.append([None] * n)
                continue
            col = rows.column(name)
            if name in ROUNDING:
                col = pc.round(col.cast(pa.float64()), ROUNDING[name])
            columns.append(col.to_pylist())
        for values in zip(*columns, strict=True):
            yield dict(zip(INPUT_COLUMNS, values, strict=True))
        return
    for row in rows:
        out = {name: row.get(name) for name in INPUT_COLUMNS}
        for name, places in ROUNDING.items():
            value = out[name]
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[name] = round(float(value), places)
        yield out


def row_time(row: Mapping[str, Any]) -> float:
    """The row's ordering time: ``time``, else ``lastcontact``, else 0 (unix s)."""
    for key in ("time", "lastcontact"):
        value = row.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return 0.0


def aircraft_object(row: Mapping[str, Any], *, first_seen: int, stale: bool) -> dict[str, Any]:
    """The aircraft object for one input row (see the module docstring for the rules)."""
    callsign = row.get("callsign")
    callsign = callsign.strip() or None if isinstance(callsign, str) else None
    squawk = row.get("squawk")
    squawk = squawk.strip() or None if isinstance(squawk, str) else None
    source = row.get("source")
    onground = bool(row.get("onground"))
    last = row.get("lastcontact")
    last_seen = int(last) if isinstance(last, int | float) else int(row_time(row))
    return {
        "icao24": str(row["icao24"]).lower(),
        "callsign": callsign,
        "airline_icao": row.get("airline_icao"),
        "airline_name": row.get("airline_name"),
        "registration_country": row.get("registration_country"),
        "registration": row.get("registration"),
        "typecode": row.get("typecode"),
        "lat": row.get("lat"),
        "lon": row.get("lon"),
        "baroaltitude": row.get("baroaltitude"),
        "geoaltitude": row.get("geoaltitude"),
        "velocity": row.get("velocity"),
        "heading": row.get("heading"),
        "vertrate": row.get("vertrate"),
        "squawk": squawk,
        "onground": onground,
        "phase": row.get("phase") or infer_phase(onground, row.get("vertrate")),
        "nearest_airport": row.get("nearest_airport"),
        "first_seen": first_seen,
        "last_seen": last_seen,
        "source": source,
        "simulated": source in SIMULATED_SOURCES,
        "emergency": squawk in EMERGENCY_SQUAWKS,
        "stale": stale or bool(row.get("stale")),
    }


_slow = operator.itemgetter(*SLOW_FIELDS)
_FAST: Final[tuple[str, ...]] = UPDATE_FIELDS[1:]


def short_update(
    obj: Mapping[str, Any], previous: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """What a diff's ``updated`` says about ``obj`` to a client holding ``previous``: ``icao24``
    and the :data:`UPDATE_FIELDS` whose value changed when every other field is unchanged,
    else None (send the whole object). A client merges it into the object it holds."""
    if previous is None or _slow(obj) != _slow(previous):
        return None
    short = {"icao24": obj["icao24"]}
    for key in _FAST:
        value = obj[key]
        if value != previous[key]:
            short[key] = value
    return short


def infer_phase(onground: bool, vertrate: object) -> str:
    """Phase for rows that carry none (raw feeds): the tracker's thresholds, no hysteresis."""
    if onground:
        return "ground"
    if isinstance(vertrate, int | float):
        if vertrate > CLIMB_MS:
            return "climb"
        if vertrate < -CLIMB_MS:
            return "descent"
    return "cruise"


def altitude(obj: Mapping[str, Any]) -> float | None:
    """Barometric altitude, else geometric (m)."""
    value = obj.get("baroaltitude")
    if value is None:
        value = obj.get("geoaltitude")
    return float(value) if isinstance(value, int | float) else None
