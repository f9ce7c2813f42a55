"""Per-aircraft tracker state, column-wise: one slot per aircraft, one numpy array per field.

:class:`FleetStore` holds what a dict of :class:`~aerolake.stream.tracker.AircraftState` would,
for the processor's vectorised tracking (:mod:`aerolake.stream.fleet`): a batch gathers and
scatters whole columns by slot, and state objects are built only when asked for (a run the
vectorised path hands to ``track_run``, an evicted aircraft, :meth:`FleetStore.state`).

Encoding: a float field's None is NaN; an optional integer's None is :data:`NO_INT`; the phase
is its index in :data:`PHASES`. Trails are ring buffers of :data:`TRAIL_POINTS` points per slot;
the time bound (``TRAIL_S`` from the newest point) is applied when a trail is read, which gives
the tracker's trail because points only ever arrive newer.

An aircraft is *active* (tracked, may be evicted) or *dormant* (evicted, kept for the gap so a
returning aircraft continues its flight). Slots of dormant aircraft past the gap are reused.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from itertools import repeat
from typing import Any, Final, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from aerolake.stream.tracker import (
    TRAIL_POINTS,
    AircraftState,
    Phase,
    TrailPoint,
    _bounded,
)

Kind = Literal["obj", "int", "opt_int", "float", "bool", "phase"]

#: Phase codes index this tuple.
PHASES: Final[tuple[Phase, ...]] = ("ground", "climb", "cruise", "descent")
PHASE_CODE: Final[dict[str | None, int]] = {p: i for i, p in enumerate(PHASES)}
#: The None of an optional integer field.
NO_INT: Final[int] = int(np.iinfo(np.int64).min)
#: The scalar fields of :class:`AircraftState` (all but ``trail``), in its order.
FIELDS: Final[tuple[tuple[str, Kind], ...]] = (
    ("icao24", "obj"),
    ("flight_id", "obj"),
    ("flight_start", "int"),
    ("first_seen", "int"),
    ("last_seen", "int"),
    ("lat", "float"),
    ("lon", "float"),
    ("altitude", "float"),
    ("vertrate", "float"),
    ("onground", "bool"),
    ("phase", "phase"),
    ("squawk", "obj"),
    ("squawk_emergency", "obj"),
    ("last_callsign", "obj"),
    ("callsign_time", "opt_int"),
    ("segment_start", "int"),
    ("last_air_time", "opt_int"),
    ("ground_times", "obj"),
    ("pos_time", "float"),
    ("jumps_in_row", "int"),
)
_DTYPES: Final[dict[Kind, Any]] = {
    "obj": object,
    "int": np.int64,
    "opt_int": np.int64,
    "float": np.float64,
    "bool": np.bool_,
    "phase": np.int8,
}
_PHASE_OBJECTS: Final = np.array(PHASES, dtype=object)
_new_state: Final = functools.partial(tuple.__new__, AircraftState)
_new_point: Final = functools.partial(tuple.__new__, TrailPoint)

Columns = dict[str, npt.NDArray[Any]]


class Evicted(NamedTuple):
    """An aircraft dropped from tracking: what the live map needs to remove it."""

    icao24: str
    last_seen: int  # aircraft unix s
    flight_id: str


_new_evicted: Final = functools.partial(tuple.__new__, Evicted)


def python_values(kind: Kind, values: npt.NDArray[Any]) -> list[Any]:
    """A column's values as the tracker's Python values (NaN and NO_INT become None)."""
    if kind == "float":
        return [None if x != x else x for x in values.tolist()]
    if kind == "opt_int":
        return [None if x == NO_INT else x for x in values.tolist()]
    if kind == "phase":
        return _PHASE_OBJECTS[values].tolist()  # type: ignore[no-any-return]
    return values.tolist()  # type: ignore[no-any-return]


def encode_values(kind: Kind, values: Sequence[Any]) -> npt.NDArray[Any]:
    """Python values as a column (the inverse of :func:`python_values`)."""
    if kind == "float":
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if kind == "opt_int":
        return np.array([NO_INT if v is None else v for v in values], dtype=np.int64)
    if kind == "phase":
        return np.array([PHASE_CODE[v] for v in values], dtype=np.int8)
    if kind == "obj":
        out = np.empty(len(values), dtype=object)
        out[:] = list(values)  # tuples stay elements (np.array would make them rows)
        return out
    return np.array(values, dtype=_DTYPES[kind])


class FleetStore:
    """Column-wise aircraft states keyed by the integer ICAO address (see the module docs)."""

    def __init__(self, capacity: int = 1024) -> None:
        self._slot_of: dict[int, int] = {}
        self._free: list[int] = []
        self._size = 0  # slots handed out so far (some may be free again)
        self.cols: Columns = {name: np.empty(capacity, _DTYPES[k]) for name, k in FIELDS}
        self.code = np.full(capacity, -1, dtype=np.int64)
        self.active = np.zeros(capacity, dtype=bool)
        self.trail_time = np.zeros((capacity, TRAIL_POINTS), dtype=np.int64)
        self.trail_lat = np.zeros((capacity, TRAIL_POINTS), dtype=np.float64)
        self.trail_lon = np.zeros((capacity, TRAIL_POINTS), dtype=np.float64)
        self.trail_alt = np.zeros((capacity, TRAIL_POINTS), dtype=np.float64)
        self.trail_len = np.zeros(capacity, dtype=np.int64)
        self.trail_head = np.zeros(capacity, dtype=np.int64)  # where the next point goes

    # Slots ----------------------------------------------------------------------------------

    def slots(
        self, codes: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """Slots of the aircraft ``codes`` (distinct), allocating for unknown ones, and whether
        each had a state (active or dormant). All become active."""
        found = np.fromiter(
            map(self._slot_of.get, codes.tolist(), repeat(-1)), np.int64, len(codes)
        )
        has = found >= 0
        new = np.flatnonzero(~has)
        if len(new):
            found[new] = self._allocate(codes[new])
        self.active[found] = True
        return found, has

    def _allocate(self, codes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        n = len(codes)
        reused = self._free[-n:] if n <= len(self._free) else list(self._free)
        del self._free[len(self._free) - len(reused) :]
        fresh = n - len(reused)
        if self._size + fresh > len(self.code):
            self._grow(max(2 * len(self.code), self._size + fresh))
        slots = np.array([*reused, *range(self._size, self._size + fresh)], dtype=np.int64)
        self._size += fresh
        self.code[slots] = codes
        self._slot_of.update(zip(codes.tolist(), slots.tolist(), strict=True))
        icao = np.empty(n, dtype=object)
        icao[:] = [f"{c:06x}" for c in codes.tolist()]
        self.cols["icao24"][slots] = icao
        self.trail_len[slots] = 0
        return slots

    def _grow(self, capacity: int) -> None:
        def grown(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
            out = np.zeros((capacity, *a.shape[1:]), dtype=a.dtype)
            out[: len(a)] = a
            return out

        self.cols = {name: grown(a) for name, a in self.cols.items()}
        for name in ("code", "active", "trail_time", "trail_lat", "trail_lon", "trail_alt"):
            setattr(self, name, grown(getattr(self, name)))
        self.trail_len, self.trail_head = grown(self.trail_len), grown(self.trail_head)

    # Columns --------------------------------------------------------------------------------

    def gather(self, slots: npt.NDArray[np.int64]) -> Columns:
        return {name: a[slots] for name, a in self.cols.items()}

    def scatter(self, slots: npt.NDArray[np.int64], columns: Columns) -> None:
        for name, values in columns.items():
            self.cols[name][slots] = values

    def append_trails(
        self,
        slots: npt.NDArray[np.int64],
        clear: npt.NDArray[np.bool_],
        rows_per_slot: npt.NDArray[np.int64],
        time: npt.NDArray[np.int64],
        lat: npt.NDArray[np.float64],
        lon: npt.NDArray[np.float64],
        altitude: npt.NDArray[np.float64],
    ) -> None:
        """Append points to the trails of ``slots`` (distinct; ``clear`` empties a trail first).

        The points are grouped by slot, ``rows_per_slot`` of them each, in time order."""
        if len(slots) == 0:
            return
        self.trail_len[slots[clear]] = 0
        n = len(time)
        run = np.repeat(np.arange(len(slots)), rows_per_slot)
        first = np.cumsum(rows_per_slot) - rows_per_slot
        within = np.arange(n) - first[run]
        keep = within >= (rows_per_slot - TRAIL_POINTS)[run]  # the newest TRAIL_POINTS per slot
        row_slot = slots[run[keep]]
        col = (self.trail_head[row_slot] + within[keep]) % TRAIL_POINTS
        self.trail_time[row_slot, col] = time[keep]
        self.trail_lat[row_slot, col] = lat[keep]
        self.trail_lon[row_slot, col] = lon[keep]
        self.trail_alt[row_slot, col] = altitude[keep]
        self.trail_head[slots] = (self.trail_head[slots] + rows_per_slot) % TRAIL_POINTS
        self.trail_len[slots] = np.minimum(self.trail_len[slots] + rows_per_slot, TRAIL_POINTS)

    # Objects --------------------------------------------------------------------------------

    def states(self, slots: npt.NDArray[np.int64]) -> list[AircraftState]:
        """The states of ``slots`` as tracker objects."""
        values = [python_values(kind, self.cols[name][slots]) for name, kind in FIELDS]
        values.append([self._trail(s) for s in slots.tolist()])
        return list(map(_new_state, zip(*values, strict=True)))

    def _trail(self, slot: int) -> tuple[TrailPoint, ...]:
        n = int(self.trail_len[slot])
        at = (int(self.trail_head[slot]) - n + np.arange(n)) % TRAIL_POINTS
        alt = self.trail_alt[slot, at].tolist()
        points = zip(
            self.trail_time[slot, at].tolist(),
            self.trail_lat[slot, at].tolist(),
            self.trail_lon[slot, at].tolist(),
            [None if a != a else a for a in alt],
            strict=True,
        )
        return _bounded(list(map(_new_point, points)))

    def put(self, slots: npt.NDArray[np.int64], states: Sequence[AircraftState]) -> None:
        """Overwrite ``slots`` with ``states`` (their icao24 must be the slots' aircraft)."""
        if not len(slots):
            return
        for i, (name, kind) in enumerate(FIELDS):
            self.cols[name][slots] = encode_values(kind, [s[i] for s in states])
        for slot, state in zip(slots.tolist(), states, strict=True):
            trail = state.trail
            n = len(trail)
            self.trail_len[slot], self.trail_head[slot] = n, n % TRAIL_POINTS
            if n:
                self.trail_time[slot, :n] = [p.time for p in trail]
                self.trail_lat[slot, :n] = [p.lat for p in trail]
                self.trail_lon[slot, :n] = [p.lon for p in trail]
                self.trail_alt[slot, :n] = [
                    np.nan if p.altitude is None else p.altitude for p in trail
                ]

    # Eviction -------------------------------------------------------------------------------

    def evict(self, mark: int, after_s: int, gap_s: int) -> list[Evicted]:
        """Deactivate aircraft last seen more than ``after_s`` before ``mark`` (aircraft time)
        and return them (no state objects: a replay can evict thousands at once); forget
        dormant ones past ``gap_s`` (their slots are reused)."""
        size = self._size
        last_seen = self.cols["last_seen"][:size]
        active = self.active[:size]
        used = self.code[:size] >= 0
        out = np.flatnonzero(active & (mark - last_seen > after_s))
        evicted = list(
            map(
                _new_evicted,
                zip(
                    self.cols["icao24"][out].tolist(),
                    last_seen[out].tolist(),
                    self.cols["flight_id"][out].tolist(),
                    strict=True,
                ),
            )
        )
        self.active[out] = False
        gone = np.flatnonzero(used & ~self.active[:size] & (mark - last_seen > gap_s))
        if len(gone):
            for c in self.code[gone].tolist():
                del self._slot_of[c]
            self.code[gone] = -1
            self._free.extend(gone.tolist())
            self.cols["icao24"][gone] = None
        return evicted

    # Lookup ---------------------------------------------------------------------------------

    def state(self, code: int) -> AircraftState | None:
        """The active state of the aircraft ``code``, or None."""
        slot = self._slot_of.get(code)
        if slot is None or not self.active[slot]:
            return None
        return self.states(np.array([slot], dtype=np.int64))[0]

    def active_codes(self) -> list[int]:
        return self.code[: self._size][self.active[: self._size]].tolist()  # type: ignore[no-any-return]


class ActiveStates(Mapping[str, AircraftState]):
    """A read-only view of a store's active aircraft by icao24; states are built on access."""

    def __init__(self, store: FleetStore) -> None:
        self._store = store

    def __getitem__(self, icao24: str) -> AircraftState:
        state = None
        if len(icao24) == 6:
            try:
                state = self._store.state(int(icao24, 16))
            except ValueError:
                state = None
        if state is None or state.icao24 != icao24:
            raise KeyError(icao24)
        return state

    def __iter__(self) -> Iterator[str]:
        return (f"{c:06x}" for c in self._store.active_codes())

    def __len__(self) -> int:
        return len(self._store.active_codes())
