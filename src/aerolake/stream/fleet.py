"""The tracker over a whole batch: every aircraft's events at once, with numpy.

:func:`track_fleet` gives exactly what :func:`~aerolake.stream.tracker.track_run` gives per
aircraft (the rules live there), at a fraction of the cost: per-event work is vectorised, and
the states before and after are columns of a :class:`~aerolake.stream.store.FleetStore`, so no
state object is built for an aircraft the vectorised path handles. :func:`track_batch` is the
same on plain :class:`AircraftState` objects (the equivalence tests use it). A run of events that the vectorised path does not
model — a rejected (or nearly rejected) position, a repeat or out-of-order event, a gap, a
take-off after a ground stop, a callsign change, an emergency squawk — goes through
``track_run`` whole; those are rare (a few per flight), so the cost stays vectorised.

Vectorised phase hysteresis: a row is *determined* (ground; rate above 2.5, below -2.5 or within
+-1 m/s) or keeps the phase before it (a missing rate keeps it, ground turning into cruise; a
rate in the climb band (1, 2.5] keeps only a climb, one in the descent band [-2.5, -1) only a
descent). So a kept climb lasts until the first descent-band row since the last determined row,
and vice versa: two prefix counts and a forward fill.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from aerolake.refdata.geo import EARTH_RADIUS_KM
from aerolake.stream.store import NO_INT, PHASE_CODE, PHASES, Columns, FleetStore
from aerolake.stream.tracker import (
    _GROUND_TIMES_CAP,
    CLIMB_MS,
    EMERGENCY,
    GAP_S,
    GROUND_STOP_S,
    LEVEL_MS,
    MAX_SPEED_MS,
    AircraftState,
    Output,
    Point,
    track_run,
)

__all__ = [
    "EVENT_COLUMNS",
    "PHASES",
    "BatchTracked",
    "FleetTracked",
    "runs",
    "track_batch",
    "track_fleet",
]

_GROUND, _CLIMB, _CRUISE, _DESCENT = range(4)
_PHASE_CODE: Final = PHASE_CODE
#: Columns of the events table of :func:`track_fleet`: :class:`Point`'s fields.
EVENT_COLUMNS: Final[tuple[str, ...]] = Point._fields
_EMERGENCY_SET: Final[pa.Array] = pa.array(sorted(EMERGENCY), pa.string())
#: Speeds this close under the limit take the exact path: numpy's and math's sines may differ
#: in the last bit, and both paths must reject the same events.
_SPEED_MARGIN: Final[float] = 1e-9


@dataclass(frozen=True, slots=True)
class FleetTracked:
    """Result of :func:`track_fleet`. Per event (row): ``flight`` indexes ``flight_ids`` and
    ``phase`` indexes :data:`PHASES`, both -1 when the event was rejected."""

    outputs: list[Output]
    flight_ids: list[str]
    flight: npt.NDArray[np.int64]
    phase: npt.NDArray[np.int8]


@dataclass(frozen=True, slots=True)
class BatchTracked:
    """Result of :func:`track_batch`. Per aircraft run: its new state. Per event (row):
    ``flight`` indexes ``flight_ids`` and ``phase`` indexes :data:`PHASES`, both -1 when the
    event was rejected."""

    states: list[AircraftState]
    outputs: list[Output]
    flight_ids: list[str]
    flight: npt.NDArray[np.int64]
    phase: npt.NDArray[np.int8]


def runs(icao24: pa.Array | pa.ChunkedArray) -> tuple[list[str], npt.NDArray[np.int64]]:
    """The aircraft of a sorted ``icao24`` column and the first row of each one's run."""
    n = len(icao24)
    if n == 0:
        return [], np.empty(0, dtype=np.int64)
    change = np.asarray(pc.not_equal(icao24[1:], icao24[:-1]), dtype=bool)
    starts = np.concatenate([[0], np.flatnonzero(change) + 1]).astype(np.int64)
    return icao24.take(pa.array(starts)).to_pylist(), starts


class _Runs:
    """Row bookkeeping for runs of rows (one aircraft each) starting at ``starts``."""

    def __init__(self, starts: npt.NDArray[np.int64], n: int) -> None:
        self.starts = starts
        self.ends = np.append(starts[1:], n)
        self.last = self.ends - 1
        self.run = np.repeat(np.arange(len(starts)), self.ends - starts)
        self.row_start = starts[self.run]
        self.first = np.zeros(n, dtype=bool)
        self.first[starts] = True

    def shifted(self, x: npt.NDArray[Any], at_start: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Each row's previous row's value; ``at_start`` (per run) at a run's first row."""
        out = np.empty_like(x)
        out[1:] = x[:-1]
        out[self.starts] = at_start
        return out

    def latest(self, mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        """Per row, the latest row of its run at or before it where ``mask`` holds, else -1."""
        idx = np.maximum.accumulate(np.where(mask, np.arange(len(mask)), -1))
        return np.where(idx >= self.row_start, idx, -1)

    def before(
        self, mask: npt.NDArray[np.bool_], x: npt.NDArray[Any], seed: npt.NDArray[Any]
    ) -> npt.NDArray[Any]:
        """Per row, ``x`` at the latest earlier row of its run where ``mask`` holds, else the
        run's ``seed``."""
        idx = self.shifted(self.latest(mask), np.full(len(self.starts), -1))
        return np.where(idx >= 0, x[idx], seed[self.run])


def _floats(col: pa.ChunkedArray | pa.Array) -> npt.NDArray[np.float64]:
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)  # null -> NaN


def _haversine_m(
    lat1: npt.NDArray[np.float64],
    lon1: npt.NDArray[np.float64],
    lat2: npt.NDArray[np.float64],
    lon2: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """The tracker's distance (same formula), vectorised; NaN where a position is missing."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    out: npt.NDArray[np.float64] = 2000.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, a)))
    return out


def _phases(
    runs: _Runs,
    onground: npt.NDArray[np.bool_],
    vr: npt.NDArray[np.float64],
    seed: npt.NDArray[np.int8],
) -> npt.NDArray[np.int8]:
    """The tracker's phase rule along every run (module docstring); ``seed`` is each run's
    phase before its first row."""
    with np.errstate(invalid="ignore"):
        det = np.full(len(vr), -1, dtype=np.int8)
        det[np.abs(vr) <= LEVEL_MS] = _CRUISE
        det[vr > CLIMB_MS] = _CLIMB
        det[vr < -CLIMB_MS] = _DESCENT
        det[onground] = _GROUND
        climb_band = np.concatenate([[0], np.cumsum((det < 0) & (vr > LEVEL_MS))])
        descent_band = np.concatenate([[0], np.cumsum((det < 0) & (vr < -LEVEL_MS))])
    last = runs.latest(det >= 0)
    kept = np.where(last >= 0, det[last], seed[runs.run])
    since = np.where(last >= 0, last, runs.row_start - 1) + 1  # rows [since, i] keep `kept`
    upto = np.arange(1, len(vr) + 1)
    sticky = np.where(
        (kept == _CLIMB) & (descent_band[upto] == descent_band[since]),
        _CLIMB,
        np.where((kept == _DESCENT) & (climb_band[upto] == climb_band[since]), _DESCENT, _CRUISE),
    )
    return np.where(det >= 0, det, sticky).astype(np.int8)


def _callsign_changes(
    runs: _Runs,
    callsign: pa.ChunkedArray,
    before: npt.NDArray[np.object_],
    reset: npt.NDArray[np.bool_],
) -> npt.NDArray[np.bool_]:
    """Rows whose callsign differs from the latest one seen before (``before`` per run, unless
    the run starts a new flight)."""
    encoded = pc.dictionary_encode(callsign).combine_chunks()
    codes = np.asarray(encoded.indices.fill_null(-1), dtype=np.int64)
    # -1: no callsign; -2: a callsign that none of this batch's rows carries
    seed = np.asarray(
        pc.index_in(pa.array(before, pa.string()), value_set=encoded.dictionary).fill_null(-2),
        dtype=np.int64,
    )
    seed[reset | np.array([c is None for c in before.tolist()], dtype=bool)] = -1
    previous = runs.before(codes >= 0, codes, seed)
    changed: npt.NDArray[np.bool_] = (codes >= 0) & (previous != -1) & (codes != previous)
    return changed


def track_fleet(
    store: FleetStore,
    slots: npt.NDArray[np.int64],
    has: npt.NDArray[np.bool_],
    starts: npt.NDArray[np.int64],
    events: pa.Table,
) -> FleetTracked:
    """Fold many aircraft's events into ``store`` at once: per run, what ``track_run`` does.

    ``events`` has :data:`EVENT_COLUMNS` (nulls for missing values), sorted by (icao24, time),
    runs starting at ``starts`` (see :func:`runs`); ``slots`` holds each run's slot in
    ``store`` and ``has`` whether that slot held a state before the batch.
    """
    n = events.num_rows
    if n == 0:
        return FleetTracked([], [], np.empty(0, np.int64), np.empty(0, np.int8))
    runs = _Runs(starts, n)
    prev = store.gather(slots)

    tf = events.column("time").to_numpy().astype(np.float64)
    lat, lon = _floats(events.column("lat")), _floats(events.column("lon"))
    postime = _floats(events.column("postime"))
    onground = np.asarray(pc.fill_null(events.column("onground"), False), dtype=bool)
    last_seen = np.where(has, prev["last_seen"], 0).astype(np.float64)
    reset = ~has | (tf[starts] - last_seen > GAP_S)  # the run's first row starts a flight
    new_flight = runs.first & reset[runs.run]

    # Rows the vectorised path does not model send their whole run to track_run.
    pos_now = np.where(np.isnan(postime), tf, postime)
    state_pos = np.where(has, prev["pos_time"], np.nan)
    prev_lat = np.where(has, prev["lat"], np.nan)
    prev_lon = np.where(has, prev["lon"], np.nan)
    then = runs.shifted(pos_now, np.where(np.isnan(state_pos), last_seen, state_pos))
    metres = _haversine_m(runs.shifted(lat, prev_lat), runs.shifted(lon, prev_lon), lat, lon)
    airborne = ~onground
    prev_air = prev["last_air_time"]
    prev_air_f = np.where(has & (prev_air != NO_INT), prev_air, 0).astype(np.float64)
    prev_air_f[reset | (prev_air == NO_INT)] = np.nan
    last_air = runs.before(airborne, tf, prev_air_f)
    was_ground = runs.shifted(onground, has & prev["onground"])
    with np.errstate(invalid="ignore"):
        exact = metres / np.maximum(pos_now - then, 1.0) > MAX_SPEED_MS * (1 - _SPEED_MARGIN)
        step = tf - runs.shifted(tf, last_seen)
        exact |= ~runs.first & ((step > GAP_S) | (step <= 0))  # gaps, repeats, disorder
        exact |= airborne & was_ground & ~new_flight & (tf - last_air >= GROUND_STOP_S)
    exact |= np.isnan(lat) | np.isnan(lon)
    exact |= np.asarray(
        pc.fill_null(pc.is_in(events.column("squawk"), _EMERGENCY_SET), False), dtype=bool
    )
    before_callsign = _where_none(~has, prev["last_callsign"])
    exact |= _callsign_changes(runs, events.column("callsign"), before_callsign, reset)
    slow = np.logical_or.reduceat(exact, starts) | (has & (tf[starts] <= last_seen))
    slow |= has & np.array([e is not None for e in prev["squawk_emergency"].tolist()], dtype=bool)

    seed = np.where(has, prev["phase"], _CRUISE).astype(np.int8)
    seed[reset] = _CRUISE  # a new flight's airborne first row follows "cruise"
    phase = _phases(runs, onground, _floats(events.column("vertrate")), seed)
    flight_ids = np.where(reset, _new_flight_ids(events, runs, reset), prev["flight_id"])
    new = _new_columns(runs, prev, events, has, reset, onground, phase, flight_ids)

    slow_runs = np.flatnonzero(slow)
    before = store.states(slots[slow_runs[has[slow_runs]]])  # before the scatter below
    previous: list[AircraftState | None] = [None] * len(slow_runs)
    for j, state in zip(np.flatnonzero(has[slow_runs]).tolist(), before, strict=True):
        previous[j] = state
    store.scatter(slots, new)
    store.append_trails(
        slots,
        reset,
        runs.ends - runs.starts,
        events.column("time").to_numpy(),
        lat,
        lon,
        _floats(events.column("altitude")),
    )
    return _exact_runs(
        store, slots, runs, previous, events, slow_runs, flight_ids.tolist(), runs.run.copy(), phase
    )


def _new_flight_ids(
    events: pa.Table, runs: _Runs, reset: npt.NDArray[np.bool_]
) -> npt.NDArray[np.object_]:
    """Flight ids (:func:`~aerolake.stream.tracker.flight_id`, built with arrow kernels) of
    the runs starting a flight; placeholders elsewhere."""
    out = np.full(len(runs.starts), "", dtype=object)
    first = pa.array(runs.starts[reset])
    if len(first):
        start = events.column("time").take(first).cast(pa.timestamp("s", tz="UTC"))
        ids = pc.binary_join_element_wise(
            events.column("icao24").take(first),
            pc.strftime(start, format="%Y%m%dT%H%M%SZ"),
            "-",
        )
        out[reset] = _objects(ids)
    return out


def _where_none(mask: npt.NDArray[np.bool_], values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``values`` (object array) with None where ``mask`` holds."""
    out = values.copy()
    out[mask] = None
    return out


def _objects(col: pa.ChunkedArray | pa.Array) -> npt.NDArray[np.object_]:
    out: npt.NDArray[np.object_] = np.asarray(col.to_numpy(zero_copy_only=False), dtype=object)
    return out


def _new_columns(
    runs: _Runs,
    prev: Columns,
    events: pa.Table,
    has: npt.NDArray[np.bool_],
    reset: npt.NDArray[np.bool_],
    onground: npt.NDArray[np.bool_],
    phase: npt.NDArray[np.int8],
    flight_ids: npt.NDArray[np.object_],
) -> Columns:
    """Every run's state after its events, column by column (right for the vectorised runs)."""
    g, last = len(runs.starts), runs.last
    time = events.column("time").to_numpy()
    first_time, last_time = time[runs.starts], time[last]

    def latest(
        name: str,
    ) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
        """Per run: the latest non-null value, whether there is one, and its time."""
        col = events.column(name)
        idx = runs.latest(np.asarray(col.is_valid(), dtype=bool))[last]
        found = idx >= 0
        picked = np.where(found, idx, last)
        return _objects(col.take(pa.array(picked))), found, time[picked]

    squawk, has_squawk, _ = latest("squawk")
    callsign, has_callsign, callsign_time = latest("callsign")
    air_idx = runs.latest(~onground)[last]
    has_air = air_idx >= 0
    kept_air = np.where(reset, NO_INT, prev["last_air_time"])
    last_air = np.where(has_air, time[np.where(has_air, air_idx, last)], kept_air)
    postime = _floats(events.column("postime"))[last]
    ground_last = onground[last]
    return {
        "flight_id": flight_ids,
        "flight_start": np.where(reset, first_time, prev["flight_start"]),
        "first_seen": np.where(reset, first_time, prev["first_seen"]),
        "last_seen": last_time,
        "lat": _floats(events.column("lat"))[last],
        "lon": _floats(events.column("lon"))[last],
        "altitude": _floats(events.column("altitude"))[last],
        "vertrate": _floats(events.column("vertrate"))[last],
        "onground": ground_last,
        "phase": phase[last],
        "squawk": np.where(has_squawk, squawk, _where_none(~has, prev["squawk"])),
        "squawk_emergency": np.full(g, None, dtype=object),  # the vectorised runs have none
        "last_callsign": np.where(
            has_callsign, callsign, _where_none(reset, prev["last_callsign"])
        ),
        "callsign_time": np.where(
            has_callsign, callsign_time, np.where(reset, NO_INT, prev["callsign_time"])
        ),
        "segment_start": np.where(reset, first_time, prev["segment_start"]),
        "last_air_time": last_air,
        "ground_times": _ground_times(
            runs, prev["ground_times"], time, reset, ground_last, has_air, air_idx, last_air
        ),
        "pos_time": np.where(np.isnan(postime), last_time, postime),
        "jumps_in_row": np.zeros(g, dtype=np.int64),
    }


def _ground_times(
    runs: _Runs,
    before: npt.NDArray[np.object_],
    time: npt.NDArray[np.int64],
    reset: npt.NDArray[np.bool_],
    ground_last: npt.NDArray[np.bool_],
    has_air: npt.NDArray[np.bool_],
    air_idx: npt.NDArray[np.int64],
    last_air: npt.NDArray[np.int64],
) -> npt.NDArray[np.object_]:
    """Per run: the ground times that may still start the next flight (the tracker's rule).

    Empty unless the run ends on ground; then the ground rows since the last airborne one
    (plus the earlier state's, if the run has no airborne row), kept while ``2 g >= air + t``.
    """
    out = np.empty(len(runs.starts), dtype=object)
    out[:] = [()] * len(runs.starts)
    for k in np.flatnonzero(ground_last).tolist():
        air = int(last_air[k])
        base = before[k] if not reset[k] and not has_air[k] else ()
        if air == NO_INT:
            out[k] = base
            continue
        since = time[max(int(runs.starts[k]), int(air_idx[k]) + 1) : int(runs.last[k]) + 1]
        floor = air + int(time[runs.last[k]])
        out[k] = tuple(x for x in (*base, *since.tolist()) if 2 * x >= floor)[-_GROUND_TIMES_CAP:]
    return out


def _exact_runs(
    store: FleetStore,
    slots: npt.NDArray[np.int64],
    runs: _Runs,
    previous: list[AircraftState | None],
    events: pa.Table,
    slow: npt.NDArray[np.int64],
    flight_ids: list[str],
    flight: npt.NDArray[np.int64],
    phase: npt.NDArray[np.int8],
) -> FleetTracked:
    """Redo the ``slow`` runs with ``track_run``, event by event, into ``store``."""
    outputs: list[Output] = []
    states: list[AircraftState] = []
    for k, before in zip(slow.tolist(), previous, strict=True):
        a, b = int(runs.starts[k]), int(runs.ends[k])
        rows = events.slice(a, b - a)
        points = map(
            Point._make, zip(*(rows.column(c).to_pylist() for c in EVENT_COLUMNS), strict=True)
        )
        result = track_run(before, list(points))
        states.append(result.state)
        outputs.extend(result.outputs)
        index: dict[str, int] = {}
        for j, (fid, ph) in enumerate(zip(result.flight_ids, result.phases, strict=True)):
            if fid is None or ph is None:
                flight[a + j], phase[a + j] = -1, -1
            else:
                flight[a + j] = index.setdefault(fid, len(flight_ids) + len(index))
                phase[a + j] = _PHASE_CODE[ph]
        flight_ids.extend(index)
    store.put(slots[slow], states)
    return FleetTracked(outputs, flight_ids, flight, phase)


def track_batch(
    previous: Sequence[AircraftState | None], starts: npt.NDArray[np.int64], events: pa.Table
) -> BatchTracked:
    """:func:`track_fleet` on plain states: ``previous`` holds each run's state before the
    batch (None when new); the result carries each run's new state. Pure."""
    store = FleetStore(max(1, len(previous)))
    codes = np.arange(len(previous), dtype=np.int64)
    slots, _ = store.slots(codes)
    known = [k for k, p in enumerate(previous) if p is not None]
    store.put(slots[known], [p for p in previous if p is not None])
    icao = np.empty(len(previous), dtype=object)
    icao[:] = events.column("icao24").take(pa.array(starts)).to_pylist() if len(starts) else []
    store.cols["icao24"][slots] = icao
    has = np.array([p is not None for p in previous], dtype=bool)
    tracked = track_fleet(store, slots, has, starts, events)
    return BatchTracked(
        store.states(slots), tracked.outputs, tracked.flight_ids, tracked.flight, tracked.phase
    )
