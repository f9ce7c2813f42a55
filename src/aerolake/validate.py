"""Validation of state vectors: a pure function over Arrow data, shared by batch and speed layers.

``validate(table) -> (valid, quarantined)``. Each row is checked against the rules below in
order; the first rule it breaks names its reason code, and the row goes to quarantine with that
code. Nothing is dropped without a reason: ``len(valid) + len(quarantined) == len(table)``.

Reason codes (a closed list; also in docs/architecture.md):

=====================  =====================================================================
``bad_icao24``         icao24 is not 6 lower-case hex digits (upper case is lowered first)
``bad_time``           time missing, before 2000-01-01 or after ``max_time``, or
                       lastcontact more than 5 s after time
``no_position``        lat or lon missing
``lat_out_of_range``   lat outside [-90, 90]
``lon_out_of_range``   lon outside [-180, 180]
``velocity_out_of_range``  velocity outside [0, 700] m/s
``altitude_out_of_range``  baro or geo altitude outside [-400, 20000] m
``vertrate_out_of_range``  vertical rate outside [-100, 100] m/s
``bad_squawk``         squawk present but not 4 octal digits
``duplicate``          a second row for the same (icao24, time); the first one is kept
=====================  =====================================================================

Transformations applied to valid rows: icao24 lower-cased, callsign trimmed and upper-cased
(empty -> null), squawk trimmed (empty -> null), ``stale`` = ``time - lastcontact > 15 s``.
NaN counts as missing for every numeric field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aerolake.refdata.countries import parse_icao24
from aerolake.schema import QUARANTINE_SCHEMA, STALE_AFTER_S, STATE_SCHEMA, VALID_SCHEMA

REASONS: Final[tuple[str, ...]] = (
    "bad_icao24",
    "bad_time",
    "no_position",
    "lat_out_of_range",
    "lon_out_of_range",
    "velocity_out_of_range",
    "altitude_out_of_range",
    "vertrate_out_of_range",
    "bad_squawk",
    "duplicate",
)

_FLOAT_COLUMNS: Final[tuple[str, ...]] = tuple(
    f.name for f in STATE_SCHEMA if pa.types.is_floating(f.type)
)

MIN_TIME: Final[int] = 946_684_800  # 2000-01-01T00:00:00Z


@dataclass(frozen=True)
class Rules:
    """Bounds of the validation rules, in SI units."""

    max_velocity: float = 700.0
    min_altitude: float = -400.0
    max_altitude: float = 20_000.0
    max_abs_vertrate: float = 100.0
    stale_after_s: float = STALE_AFTER_S
    future_tolerance_s: int = 86_400


@dataclass(frozen=True)
class Validated:
    valid: pa.Table  # VALID_SCHEMA
    quarantined: pa.Table  # QUARANTINE_SCHEMA
    valid_index: np.ndarray  # int64: input row position of each valid row
    quarantine_index: np.ndarray  # int64: input row position of each quarantined row

    def reason_counts(self) -> dict[str, int]:
        if self.quarantined.num_rows == 0:
            return {}
        counts = pc.value_counts(self.quarantined.column("reason")).to_pylist()
        return {c["values"]: c["counts"] for c in counts}


def _num(table: pa.Table, name: str) -> np.ndarray:
    """A float column as numpy with nulls as NaN."""
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


def _outside(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """True where a present (non-NaN) value lies outside [lo, hi]."""
    with np.errstate(invalid="ignore"):
        out: np.ndarray = ~np.isnan(values) & ((values < lo) | (values > hi))
    return out


def _trim_upper_or_null(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    trimmed = pc.utf8_upper(pc.utf8_trim_whitespace(arr))
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def validate(
    data: pa.Table | pa.RecordBatch, *, now: dt.datetime | None = None, rules: Rules = Rules()
) -> Validated:
    """Split ``data`` (:data:`~aerolake.schema.STATE_SCHEMA`) into valid and quarantined rows.

    Pure: no I/O, no clock reads unless ``now`` is None (then the upper time bound is the
    current UTC time plus ``rules.future_tolerance_s``). Row order of valid rows is preserved.
    """
    table = pa.Table.from_batches([data]) if isinstance(data, pa.RecordBatch) else data
    table = table.select(STATE_SCHEMA.names).cast(STATE_SCHEMA)
    n = table.num_rows
    if n == 0:
        empty = np.empty(0, dtype=np.int64)
        return Validated(VALID_SCHEMA.empty_table(), QUARANTINE_SCHEMA.empty_table(), empty, empty)
    now_s = (now or dt.datetime.now(dt.UTC)).timestamp()
    max_time = now_s + rules.future_tolerance_s

    icao = pc.utf8_lower(pc.utf8_trim_whitespace(table.column("icao24")))
    bad_icao = ~np.asarray(
        pc.fill_null(pc.match_substring_regex(icao, r"^[0-9a-f]{6}$"), False), dtype=bool
    )
    time = table.column("time").to_numpy(zero_copy_only=False).astype(np.float64)
    lastcontact = _num(table, "lastcontact")
    with np.errstate(invalid="ignore"):
        bad_time = (
            np.isnan(time)
            | (time < MIN_TIME)
            | (time > max_time)
            | (~np.isnan(lastcontact) & (lastcontact > time + 5.0))
        )
    lat, lon = _num(table, "lat"), _num(table, "lon")
    no_position = np.isnan(lat) | np.isnan(lon)
    squawk = pc.utf8_trim_whitespace(table.column("squawk"))
    squawk = pc.if_else(pc.equal(squawk, ""), pa.scalar(None, pa.string()), squawk)
    bad_squawk = np.asarray(
        pc.fill_null(pc.invert(pc.match_substring_regex(squawk, r"^[0-7]{4}$")), False),
        dtype=bool,
    )
    checks: list[tuple[str, np.ndarray]] = [
        ("bad_icao24", bad_icao),
        ("bad_time", bad_time),
        ("no_position", no_position),
        ("lat_out_of_range", _outside(lat, -90.0, 90.0)),
        ("lon_out_of_range", _outside(lon, -180.0, 180.0)),
        ("velocity_out_of_range", _outside(_num(table, "velocity"), 0.0, rules.max_velocity)),
        (
            "altitude_out_of_range",
            _outside(_num(table, "baroaltitude"), rules.min_altitude, rules.max_altitude)
            | _outside(_num(table, "geoaltitude"), rules.min_altitude, rules.max_altitude),
        ),
        (
            "vertrate_out_of_range",
            _outside(_num(table, "vertrate"), -rules.max_abs_vertrate, rules.max_abs_vertrate),
        ),
        ("bad_squawk", bad_squawk),
    ]
    reason_idx = np.full(n, -1, dtype=np.int16)
    for i, (_, mask) in enumerate(checks):
        reason_idx[(reason_idx < 0) & mask] = i

    # Duplicates among otherwise valid rows: keep the first occurrence of (icao24, time).
    cand = np.flatnonzero(reason_idx < 0)
    if len(cand) > 1:
        icao_int = parse_icao24(pc.take(icao, pa.array(cand)))
        key = (icao_int << np.int64(34)) | (time[cand].astype(np.int64) - MIN_TIME)
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        dup_sorted = np.zeros(len(cand), dtype=bool)
        dup_sorted[1:] = sorted_key[1:] == sorted_key[:-1]
        reason_idx[cand[order[dup_sorted]]] = len(checks)

    table = table.set_column(table.schema.get_field_index("icao24"), "icao24", icao)
    table = table.set_column(table.schema.get_field_index("squawk"), "squawk", squawk)
    table = table.set_column(
        table.schema.get_field_index("callsign"),
        "callsign",
        _trim_upper_or_null(table.column("callsign")),
    )
    for name in _FLOAT_COLUMNS:  # NaN means missing: store it as null
        col = table.column(name)
        idx = table.schema.get_field_index(name)
        table = table.set_column(
            idx, name, pc.if_else(pc.is_nan(col), pa.scalar(None, col.type), col)
        )
    valid_idx = np.flatnonzero(reason_idx < 0)
    bad_idx = np.flatnonzero(reason_idx >= 0)

    valid = table if len(bad_idx) == 0 else table.take(pa.array(valid_idx))
    with np.errstate(invalid="ignore"):
        stale = (time[valid_idx] - lastcontact[valid_idx]) > rules.stale_after_s
    valid = valid.append_column(VALID_SCHEMA.field("stale"), pa.array(stale, pa.bool_()))

    names = np.array(REASONS, dtype=object)
    quarantined = table.take(pa.array(bad_idx)).append_column(
        QUARANTINE_SCHEMA.field("reason"),
        pa.array(names[reason_idx[bad_idx]].tolist(), pa.string()),
    )
    return Validated(
        valid.cast(VALID_SCHEMA),
        quarantined.cast(QUARANTINE_SCHEMA),
        valid_idx.astype(np.int64),
        bad_idx.astype(np.int64),
    )
