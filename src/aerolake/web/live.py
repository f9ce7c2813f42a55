"""The live hub: the current state of every aircraft, its trail, and one global diff per tick.

Fed from any thread by the speed layer (:meth:`LiveHub.update`, :meth:`LiveHub.alert`,
:meth:`LiveHub.evict`); read by the WebSocket broadcaster, which calls :meth:`LiveHub.tick`
once a second. Every method takes the hub's lock, so feeding and reading may overlap.

Two views of the state:

- *current*: what the feed last said; the REST API (``/api/live``) reads it.
- *published*: the state as of the last tick. A snapshot is built from it, and a tick's
  :class:`Tick` describes exactly the change from the previous published state to the next.
  So every WebSocket client that has applied the same ticks holds the same picture, and a diff
  for a bounding box depends only on the box, never on the client (see :mod:`.fanout`). That
  is also why a tick may describe an update by what changed since the published object alone
  (``Tick.updates``): every client that sees it ``updated`` holds that published object.

Ageing is on the hub's wall clock (when a row *arrived*), so a replay of old data is shown as
fresh: an aircraft with no row for ``stale_after_s`` (60 s) is marked ``stale`` (the map fades
it) and after ``remove_after_s`` (300 s, OpenSky's own horizon) it is removed. Rows older than
the aircraft's latest one (by ``time``) are ignored. Trails keep the last 50 positions within
30 minutes.
"""

from __future__ import annotations

import threading
import time as _time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa

from aerolake.web.aircraft import aircraft_object, altitude, iter_rows, row_time, short_update
from aerolake.web.fanout import BBox, inside

STALE_AFTER_S: Final[float] = 60.0
REMOVE_AFTER_S: Final[float] = 300.0
TRAIL_POINTS: Final[int] = 50
TRAIL_S: Final[float] = 1800.0
RECENT_ALERTS: Final[int] = 200
RATE_WINDOW_S: Final[float] = 10.0

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
TrailPoint = tuple[int, float, float, float | None]

#: Per-slot arrays: attribute -> (fill for a free slot, dtype).
_COLUMNS: Final[dict[str, tuple[Any, Any]]] = {
    "_lat": (np.nan, np.float64),
    "_lon": (np.nan, np.float64),
    "_pub_lat": (np.nan, np.float64),
    "_pub_lon": (np.nan, np.float64),
    "_recv": (0.0, np.float64),
    "_time": (-np.inf, np.float64),
    "_first": (0, np.int64),
    "_present": (False, np.bool_),
    "_pub_present": (False, np.bool_),
    "_stale": (False, np.bool_),
    "_onground": (False, np.bool_),
}


@dataclass(frozen=True)
class Tick:
    """The change from one published state to the next. Arrays align with ``slots``;
    positions are NaN when unknown. ``removed_*`` describe aircraft that left the map."""

    time: float  # unix s, wall clock
    slots: Ints
    ids: list[str]  # icao24 per slot
    docs: list[bytes]  # the aircraft objects as JSON (for ``added``)
    updates: list[bytes]  # for ``updated``: the short object when only UPDATE_FIELDS changed
    prev_present: Bools
    prev_lat: Floats
    prev_lon: Floats
    lat: Floats
    lon: Floats
    removed_ids: list[str]
    removed_lat: Floats
    removed_lon: Floats
    stats: dict[str, Any]
    alerts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(len(self.slots) or self.removed_ids)


class LiveHub:
    """Last state per aircraft, trails and recent alerts. Thread-safe; see the module doc."""

    def __init__(
        self,
        *,
        stale_after_s: float = STALE_AFTER_S,
        remove_after_s: float = REMOVE_AFTER_S,
        clock: Callable[[], float] = _time.time,
    ) -> None:
        self.stale_after_s = stale_after_s
        self.remove_after_s = remove_after_s
        self.clock = clock
        self._lock = threading.Lock()
        self._index: dict[str, int] = {}
        self._free: list[int] = []
        self._ids: list[str | None] = []
        self._rec: list[dict[str, Any] | None] = []
        self._trail: list[deque[TrailPoint] | None] = []
        self._pub_doc: list[bytes | None] = []
        self._pub_rec: list[dict[str, Any] | None] = []
        self._lat: Floats = np.empty(0)  # current position, NaN when unknown
        self._lon: Floats = np.empty(0)
        self._pub_lat: Floats = np.empty(0)  # published position
        self._pub_lon: Floats = np.empty(0)
        self._recv: Floats = np.empty(0)  # wall clock of the last row, unix s
        self._time: Floats = np.empty(0)  # the last row's time, unix s
        self._first: Ints = np.empty(0, np.int64)
        self._present: Bools = np.empty(0, np.bool_)
        self._pub_present: Bools = np.empty(0, np.bool_)
        self._stale: Bools = np.empty(0, np.bool_)
        self._onground: Bools = np.empty(0, np.bool_)
        self._cap = 0
        self._grow(1024)
        self._dirty: set[int] = set()
        self._pending: set[int] = set()  # removed since the last tick
        self._alerts: deque[dict[str, Any]] = deque(maxlen=RECENT_ALERTS)
        self._new_alerts: list[dict[str, Any]] = []
        self._arrivals: deque[tuple[float, int]] = deque()
        self.rows_received = 0
        self.last_update: float | None = None

    # --- feeding (any thread) ----------------------------------------------------------------

    def update(self, rows: pa.Table | pa.RecordBatch | Sequence[Mapping[str, Any]]) -> int:
        """Fold enriched rows (ENRICHED_SCHEMA table or dicts) in; returns rows applied.

        Objects are built before taking the lock, so readers wait only for the bookkeeping."""
        prepared = []
        for row in iter_rows(rows):
            icao = row.get("icao24")
            if isinstance(icao, str) and icao.strip():
                obj = aircraft_object(row, first_seen=0, stale=False)
                prepared.append((obj["icao24"], row_time(row), obj))
        now = self.clock()
        with self._lock:
            applied = sum(self._apply(icao, t, obj, now) for icao, t, obj in prepared)
            self._arrivals.append((now, applied))
            self.rows_received += applied
            self.last_update = now
        return applied

    def alert(self, alert: Any) -> None:
        """Record an emergency-squawk alert (tracker ``Alert`` or a mapping with its fields)."""
        keys = ("icao24", "callsign", "squawk", "kind", "time", "lat", "lon")
        if isinstance(alert, Mapping):
            item = {k: alert.get(k) for k in keys}
        else:
            item = {k: getattr(alert, k, None) for k in keys}
        with self._lock:
            self._alerts.append(item)
            self._new_alerts.append(item)

    def evict(self, icao24s: Iterable[str]) -> int:
        """Remove aircraft now (the processor evicted them); returns how many were known."""
        with self._lock:
            return sum(self._remove(self._index.get(i.lower(), -1)) for i in icao24s)

    def clear(self) -> int:
        """Remove every aircraft (admin action); clients see them removed at the next tick."""
        with self._lock:
            return sum(self._remove(s) for s in list(self._index.values()))

    # --- publishing (the broadcaster) --------------------------------------------------------

    def tick(self) -> Tick:
        """Age the state, then publish what changed since the last tick as one :class:`Tick`."""
        with self._lock:
            now = self.clock()
            live = np.flatnonzero(self._present[: self._cap])
            age = now - self._recv[live]
            for s in live[age > self.remove_after_s]:
                self._remove(int(s))
            fading = live[(age > self.stale_after_s) & (age <= self.remove_after_s)]
            for s in fading[~self._stale[fading]]:
                self._stale[s] = True
                self._rec[s] = {**(self._rec[s] or {}), "stale": True}
                self._dirty.add(int(s))
            slots = np.array(sorted(self._dirty), dtype=np.int64)
            order = slots.tolist()
            recs = [self._rec[s] for s in order]
            docs = [orjson.dumps(r) for r in recs]
            updates = [self._update_doc(s, r, d) for s, r, d in zip(order, recs, docs, strict=True)]
            removed = np.array(sorted(s for s in self._pending if self._pub_present[s]), np.int64)
            tick = Tick(
                time=now,
                slots=slots,
                ids=[str(self._ids[s]) for s in order],
                docs=docs,
                updates=updates,
                prev_present=self._pub_present[slots].copy(),
                prev_lat=self._pub_lat[slots].copy(),
                prev_lon=self._pub_lon[slots].copy(),
                lat=self._lat[slots].copy(),
                lon=self._lon[slots].copy(),
                removed_ids=[str(self._ids[s]) for s in removed],
                removed_lat=self._pub_lat[removed].copy(),
                removed_lon=self._pub_lon[removed].copy(),
                stats=self._stats(now),
                alerts=self._new_alerts,
            )
            self._publish(slots, docs, recs)
            self._new_alerts = []
            return tick

    def snapshot(self, bbox: BBox | None) -> tuple[float, list[bytes], dict[str, Any]]:
        """The published aircraft in ``bbox`` (all when None) as JSON, with time and stats."""
        with self._lock:
            now = self.clock()
            slots = np.flatnonzero(self._pub_present[: self._cap])
            if bbox is not None:
                slots = slots[inside(self._pub_lat[slots], self._pub_lon[slots], bbox)]
            docs = [d for s in slots if (d := self._pub_doc[s]) is not None]
            return now, docs, self._stats(now)

    # --- reading (REST) ----------------------------------------------------------------------

    def aircraft_list(
        self, bbox: BBox | None
    ) -> tuple[float, list[dict[str, Any]], dict[str, Any]]:
        """The current aircraft in ``bbox`` (all when None), with time and stats."""
        with self._lock:
            now = self.clock()
            slots = np.flatnonzero(self._present[: self._cap])
            if bbox is not None:
                slots = slots[inside(self._lat[slots], self._lon[slots], bbox)]
            items = [r for s in slots if (r := self._rec[s]) is not None]
            return now, items, self._stats(now)

    def aircraft(self, icao24: str) -> dict[str, Any] | None:
        """One aircraft's current object plus ``trail`` ``[[t, lat, lon, alt], ...]``, or None."""
        with self._lock:
            slot = self._index.get(icao24.lower())
            if slot is None or not self._present[slot]:
                return None
            rec = dict(self._rec[slot] or {})
            rec["trail"] = [list(p) for p in self._trail[slot] or ()]
            return rec

    def recent_alerts(self) -> list[dict[str, Any]]:
        """Recent alerts, newest first (at most 200)."""
        with self._lock:
            return list(reversed(self._alerts))

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return self._stats(self.clock())

    # --- internals (lock held) ---------------------------------------------------------------

    def _apply(self, icao: str, t: float, obj: dict[str, Any], now: float) -> bool:
        slot = self._index.get(icao)
        if slot is None:
            slot = self._allocate(icao)
            self._first[slot] = int(t)
        elif slot in self._pending:  # removed since the last tick, heard again: revive
            self._pending.discard(slot)
            self._present[slot] = True
        elif t < self._time[slot]:
            return False
        obj["first_seen"] = int(self._first[slot])
        self._time[slot] = t
        self._recv[slot] = now
        self._stale[slot] = False
        lat, lon = obj["lat"], obj["lon"]
        if lat is not None and lon is not None:
            self._add_trail(slot, (int(t), lat, lon, altitude(obj)))
        if obj != self._rec[slot]:
            self._rec[slot] = obj
            self._lat[slot] = np.nan if lat is None else lat
            self._lon[slot] = np.nan if lon is None else lon
            self._onground[slot] = obj["onground"]
            self._dirty.add(slot)
        return True

    def _add_trail(self, slot: int, point: TrailPoint) -> None:
        trail = self._trail[slot]
        if trail is None:
            trail = self._trail[slot] = deque(maxlen=TRAIL_POINTS)
        if trail and point[0] <= trail[-1][0]:
            return
        trail.append(point)
        while trail and point[0] - trail[0][0] > TRAIL_S:
            trail.popleft()

    def _allocate(self, icao: str) -> int:
        if not self._free:
            self._grow(self._cap * 2)
        slot = self._free.pop()
        self._index[icao] = slot
        self._ids[slot] = icao
        self._present[slot] = True
        self._rec[slot] = None
        self._trail[slot] = None
        self._time[slot] = -np.inf
        return slot

    def _remove(self, slot: int) -> bool:
        if slot < 0 or not self._present[slot]:
            return False
        self._present[slot] = False
        self._dirty.discard(slot)
        self._pending.add(slot)
        return True

    def _update_doc(self, slot: int, rec: dict[str, Any] | None, doc: bytes) -> bytes:
        previous = self._pub_rec[slot] if self._pub_present[slot] else None
        short = short_update(rec, previous) if rec is not None else None
        return doc if short is None else orjson.dumps(short)

    def _publish(self, slots: Ints, docs: list[bytes], recs: list[dict[str, Any] | None]) -> None:
        self._pub_present[slots] = True
        self._pub_lat[slots] = self._lat[slots]
        self._pub_lon[slots] = self._lon[slots]
        for s, doc, rec in zip(slots.tolist(), docs, recs, strict=True):
            self._pub_doc[s] = doc
            self._pub_rec[s] = rec
        for s in self._pending:  # only now may a slot be reused: no client still holds it
            self._pub_present[s] = False
            self._pub_doc[s] = self._pub_rec[s] = None
            self._index.pop(str(self._ids[s]), None)
            self._ids[s] = self._rec[s] = self._trail[s] = None
            self._free.append(s)
        self._pending.clear()
        self._dirty.clear()

    def _stats(self, now: float) -> dict[str, Any]:
        while self._arrivals and now - self._arrivals[0][0] > RATE_WINDOW_S:
            self._arrivals.popleft()
        present = self._present[: self._cap]
        total = int(present.sum())
        on_ground = int((present & self._onground[: self._cap]).sum())
        rows = sum(n for _, n in self._arrivals)
        return {
            "in_air": total - on_ground,
            "on_ground": on_ground,
            "total": total,
            "states_per_s": round(rows / RATE_WINDOW_S, 1),
        }

    def _grow(self, capacity: int) -> None:
        extra = capacity - self._cap
        for name, (fill, dtype) in _COLUMNS.items():
            grown = np.concatenate([getattr(self, name), np.full(extra, fill, dtype=dtype)])
            setattr(self, name, grown)
        for column in (self._ids, self._rec, self._trail, self._pub_doc, self._pub_rec):
            column.extend([None] * extra)  # type: ignore[attr-defined]
        self._free.extend(range(capacity - 1, self._cap - 1, -1))
        self._cap = capacity
