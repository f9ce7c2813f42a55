"""The tracker over a whole batch: every aircraft's events at once, with numpy.

:func:`track_batch` gives exactly what :func:`~aerolake.stream.tracker.track_run` gives per
aircraft (the rules live there), at a fraction of the cost: per-event work is vectorised and
Python objects are touched once per aircraft. A run of events that the vectorised path does not
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

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from aerolake.refdata.geo import EARTH_RADIUS_KM
from aerolake.stream.tracker import (
    _GROUND_TIMES_CAP,
    CLIMB_MS,
    EMERGENCY,
    GAP_S,
    GROUND_STOP_S,
    LEVEL_MS,
    MAX_SPEED_MS,
    TRAIL_POINTS,
    TRAIL_S,
    AircraftState,
    Output,
    Phase,
    Point,
    TrailPoint,
    _bounded,
    flight_id,
    track_run,
)

T = TypeVar("T")

#: Phase codes of :class:`BatchTracked` index this tuple.
PHASES: Final[tuple[Phase, ...]] = ("ground", "climb", "cruise", "descent")
_GROUND, _CLIMB, _CRUISE, _DESCENT = range(4)
_PHASE_CODE: Final[dict[str | None, int]] = {p: i for i, p in enumerate(PHASES)}
_PHASE_OBJECTS: Final = np.array(PHASES, dtype=object)
#: Columns of the events table of :func:`track_batch`: :class:`Point`'s fields.
EVENT_COLUMNS: Final[tuple[str, ...]] = Point._fields
_NOBODY: Final = AircraftState._make([None] * len(AircraftState._fields))
_FIELD: Final[dict[str, int]] = {name: i for i, name in enumerate(AircraftState._fields)}
#: Speeds this close under the limit take the exact path: numpy's and math's sines may differ
#: in the last bit, and both paths must reject the same events.
_SPEED_MARGIN: Final[float] = 1e-9
# namedtuple construction without a Python-level __new__ call (what ``_make`` does)
_new_state: Final = functools.partial(tuple.__new__, AircraftState)
_new_point: Final = functools.partial(tuple.__new__, TrailPoint)


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


def _choose(mask: npt.NDArray[np.bool_], yes: Sequence[T], no: Sequence[T]) -> list[T]:
    """``yes[k]`` where ``mask[k]`` else ``no[k]``: copies the larger side, patches the other."""
    if 2 * int(mask.sum()) >= len(mask):
        out, patch, other = list(yes), np.flatnonzero(~mask), no
    else:
        out, patch, other = list(no), np.flatnonzero(mask), yes
    for k in patch.tolist():
        out[k] = other[k]
    return out


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
    runs: _Runs, callsign: pa.ChunkedArray, before: Sequence[object], reset: npt.NDArray[np.bool_]
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
    seed[reset | np.array([c is None for c in before], dtype=bool)] = -1
    previous = runs.before(codes >= 0, codes, seed)
    changed: npt.NDArray[np.bool_] = (codes >= 0) & (previous != -1) & (codes != previous)
    return changed


def track_batch(
    previous: Sequence[AircraftState | None], starts: npt.NDArray[np.int64], events: pa.Table
) -> BatchTracked:
    """Fold many aircraft's events at once: per run, what ``track_run`` returns.

    ``events`` has :data:`EVENT_COLUMNS` (nulls for missing values), sorted by (icao24, time),
    runs starting at ``starts`` (see :func:`runs`); ``previous`` holds each run's state before
    the batch (None when new). Pure.
    """
    n, g = events.num_rows, len(starts)
    if n == 0:
        return BatchTracked([], [], [], np.empty(0, np.int64), np.empty(0, np.int8))
    runs = _Runs(starts, n)
    has = np.fromiter((p is not None for p in previous), dtype=bool, count=g)
    cols = list(zip(*(p if p is not None else _NOBODY for p in previous), strict=True))

    def prev(name: str) -> tuple[Any, ...]:
        return cols[_FIELD[name]]

    def prev_floats(name: str) -> npt.NDArray[np.float64]:
        return np.array(prev(name), dtype=np.float64)  # None -> NaN

    tf = events.column("time").to_numpy().astype(np.float64)
    lat, lon = _floats(events.column("lat")), _floats(events.column("lon"))
    postime = _floats(events.column("postime"))
    onground = np.asarray(pc.fill_null(events.column("onground"), False), dtype=bool)
    last_seen = prev_floats("last_seen")
    reset = ~has | (tf[starts] - last_seen > GAP_S)  # the run's first row starts a flight
    new_flight = runs.first & reset[runs.run]

    # Rows the vectorised path does not model send their whole run to track_run.
    pos_now = np.where(np.isnan(postime), tf, postime)
    state_pos = prev_floats("pos_time")
    then = runs.shifted(pos_now, np.where(np.isnan(state_pos), last_seen, state_pos))
    metres = _haversine_m(
        runs.shifted(lat, prev_floats("lat")), runs.shifted(lon, prev_floats("lon")), lat, lon
    )
    airborne = ~onground
    last_air = runs.before(airborne, tf, np.where(reset, np.nan, prev_floats("last_air_time")))
    was_ground = runs.shifted(onground, np.array([bool(v) for v in prev("onground")]))
    with np.errstate(invalid="ignore"):
        exact = metres / np.maximum(pos_now - then, 1.0) > MAX_SPEED_MS * (1 - _SPEED_MARGIN)
        step = tf - runs.shifted(tf, last_seen)
        exact |= ~runs.first & ((step > GAP_S) | (step <= 0))  # gaps, repeats, disorder
        exact |= airborne & was_ground & ~new_flight & (tf - last_air >= GROUND_STOP_S)
    exact |= np.isnan(lat) | np.isnan(lon)
    exact |= np.asarray(
        pc.fill_null(pc.is_in(events.column("squawk"), pa.array(sorted(EMERGENCY))), False),
        dtype=bool,
    )
    exact |= _callsign_changes(runs, events.column("callsign"), prev("last_callsign"), reset)
    slow = np.logical_or.reduceat(exact, starts) | (has & (tf[starts] <= last_seen))
    slow |= np.array([e is not None for e in prev("squawk_emergency")], dtype=bool)

    seed = np.array(
        [_PHASE_CODE.get(p, _CRUISE) for p in prev("phase")], dtype=np.int8
    )  # a new flight's airborne first row follows "cruise"
    seed[reset] = _CRUISE
    phase = _phases(runs, onground, _floats(events.column("vertrate")), seed)
    flight_ids = _choose(reset, _new_flight_ids(events, runs, reset), prev("flight_id"))
    states = _states(runs, previous, prev, events, reset, onground, phase, flight_ids)
    return _exact_runs(
        runs, previous, events, np.flatnonzero(slow), states, flight_ids, runs.run.copy(), phase
    )


def _new_flight_ids(events: pa.Table, runs: _Runs, reset: npt.NDArray[np.bool_]) -> list[str]:
    """Flight ids of the runs starting a flight (placeholders elsewhere)."""
    out = [""] * len(runs.starts)
    icao = events.column("icao24")
    time = events.column("time")
    for k in np.flatnonzero(reset).tolist():
        a = int(runs.starts[k])
        out[k] = flight_id(icao[a].as_py(), time[a].as_py())
    return out


def _states(
    runs: _Runs,
    previous: Sequence[AircraftState | None],
    prev: Any,
    events: pa.Table,
    reset: npt.NDArray[np.bool_],
    onground: npt.NDArray[np.bool_],
    phase: npt.NDArray[np.int8],
    flight_ids: list[str],
) -> list[AircraftState]:
    """Every run's state after its events, column by column (right for the vectorised runs)."""
    g, last = len(runs.starts), runs.last
    time = events.column("time").to_numpy()
    at_last = events.take(pa.array(last))
    first_time = time[runs.starts].tolist()
    last_time = time[last].tolist()
    none: list[Any] = [None] * g

    def latest(name: str) -> tuple[list[Any], npt.NDArray[np.bool_], list[int]]:
        """Per run: the latest non-null value, whether there is one, and its time."""
        col = events.column(name)
        idx = runs.latest(np.asarray(col.is_valid(), dtype=bool))[last]
        found = idx >= 0
        picked = np.where(found, idx, last)
        return col.take(pa.array(picked)).to_pylist(), found, time[picked].tolist()

    squawk, has_squawk, _ = latest("squawk")
    callsign, has_callsign, callsign_time = latest("callsign")
    air_idx = runs.latest(~onground)[last]
    has_air = air_idx >= 0
    air_time = time[np.where(has_air, air_idx, last)].tolist()
    kept_callsign = _choose(reset, none, prev("last_callsign"))
    kept_callsign_time = _choose(reset, none, prev("callsign_time"))
    last_air = _choose(has_air, air_time, _choose(reset, none, prev("last_air_time")))
    postime = at_last.column("postime").to_pylist()
    ground_last = onground[last]
    columns = [
        at_last.column("icao24").to_pylist(),
        flight_ids,
        _choose(reset, first_time, prev("flight_start")),
        _choose(reset, first_time, prev("first_seen")),
        last_time,
        at_last.column("lat").to_pylist(),
        at_last.column("lon").to_pylist(),
        at_last.column("altitude").to_pylist(),
        at_last.column("vertrate").to_pylist(),
        ground_last.tolist(),
        _PHASE_OBJECTS[phase[last]].tolist(),
        _choose(has_squawk, squawk, prev("squawk")),
        none,  # squawk_emergency: the vectorised runs have none
        _choose(has_callsign, callsign, kept_callsign),
        _choose(has_callsign, callsign_time, kept_callsign_time),
        _choose(reset, first_time, prev("segment_start")),
        last_air,
        _ground_times(runs, previous, time, reset, ground_last, has_air, air_idx, last_air),
        [t if p is None else p for p, t in zip(postime, last_time, strict=True)],
        [0] * g,
        _trails(runs, prev("trail"), events, reset),
    ]
    return cast(list[AircraftState], list(map(_new_state, zip(*columns, strict=True))))


def _ground_times(
    runs: _Runs,
    previous: Sequence[AircraftState | None],
    time: npt.NDArray[np.int64],
    reset: npt.NDArray[np.bool_],
    ground_last: npt.NDArray[np.bool_],
    has_air: npt.NDArray[np.bool_],
    air_idx: npt.NDArray[np.int64],
    last_air: list[Any],
) -> list[tuple[int, ...]]:
    """Per run: the ground times that may still start the next flight (the tracker's rule).

    Empty unless the run ends on ground; then the ground rows since the last airborne one
    (plus the earlier state's, if the run has no airborne row), kept while ``2 g >= air + t``.
    """
    out: list[tuple[int, ...]] = [()] * len(runs.starts)
    for k in np.flatnonzero(ground_last).tolist():
        p, air = previous[k], last_air[k]
        base = p.ground_times if p is not None and not reset[k] and not has_air[k] else ()
        if air is None:
            out[k] = base
            continue
        since = time[max(int(runs.starts[k]), int(air_idx[k]) + 1) : int(runs.last[k]) + 1]
        floor = air + int(time[runs.last[k]])
        out[k] = tuple(x for x in (*base, *since.tolist()) if 2 * x >= floor)[-_GROUND_TIMES_CAP:]
    return out


def _trails(
    runs: _Runs,
    before: Sequence[tuple[TrailPoint, ...]],
    events: pa.Table,
    reset: npt.NDArray[np.bool_],
) -> list[tuple[TrailPoint, ...]]:
    """Per run: the earlier trail (none for a new flight) plus the run's positions, bounded."""
    counts = np.minimum(runs.ends - runs.starts, TRAIL_POINTS)
    rows = pa.array(np.flatnonzero(np.arange(events.num_rows) >= (runs.ends - counts)[runs.run]))
    points = tuple(
        map(
            _new_point,
            zip(
                events.column("time").take(rows).to_pylist(),
                events.column("lat").take(rows).to_pylist(),
                events.column("lon").take(rows).to_pylist(),
                events.column("altitude").take(rows).to_pylist(),
                strict=True,
            ),
        )
    )
    offsets = np.concatenate([[0], np.cumsum(counts)]).tolist()
    bases = _choose(reset, [()] * len(reset), before)
    trails = [
        (b + points[i:j])[-TRAIL_POINTS:]
        for b, i, j in zip(bases, offsets, offsets[1:], strict=False)
    ]
    return [t if t[0][0] >= t[-1][0] - TRAIL_S else _bounded(t) for t in trails]


def _exact_runs(
    runs: _Runs,
    previous: Sequence[AircraftState | None],
    events: pa.Table,
    slow: npt.NDArray[np.int64],
    states: list[AircraftState],
    flight_ids: list[str],
    flight: npt.NDArray[np.int64],
    phase: npt.NDArray[np.int8],
) -> BatchTracked:
    """Redo the ``slow`` runs with ``track_run``, event by event, and assemble the result."""
    outputs: list[Output] = []
    for k in slow.tolist():
        a, b = int(runs.starts[k]), int(runs.ends[k])
        rows = events.slice(a, b - a)
        points = map(
            Point._make, zip(*(rows.column(c).to_pylist() for c in EVENT_COLUMNS), strict=True)
        )
        result = track_run(previous[k], list(points))
        states[k] = result.state
        outputs.extend(result.outputs)
        index: dict[str, int] = {}
        for j, (fid, ph) in enumerate(zip(result.flight_ids, result.phases, strict=True)):
            if fid is None or ph is None:
                flight[a + j], phase[a + j] = -1, -1
            else:
                flight[a + j] = index.setdefault(fid, len(flight_ids) + len(index))
                phase[a + j] = _PHASE_CODE[ph]
        flight_ids.extend(index)
    return BatchTracked(states, outputs, flight_ids, flight, phase)
