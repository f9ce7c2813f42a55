"""Per-aircraft tracking as a pure ``(state, event) -> (state, outputs)`` function.

:func:`track` folds one state vector into an :class:`AircraftState`; :func:`track_run` folds an
aircraft's events of one batch in time order (the same result as calling :func:`track` on each,
with one state object built per run, which is what keeps the processor fast). No I/O, no
clocks: every time is the aircraft's own ``time`` (unix s, UTC). The runner owns persistence.

Rules:
- flight id: :func:`flight_start` (mirrors the batch segmentation); ``flight_id`` is
  ``f"{icao24}-{start:%Y%m%dT%H%M%SZ}"`` of the flight's first point.
- phase: ``ground`` when on ground; airborne ``climb`` above +2.5 m/s vertical rate and
  ``descent`` below -2.5 m/s, each kept until the rate falls back inside +-1 m/s (hysteresis),
  else ``cruise``; a missing rate keeps the airborne phase.
- a position implying more than ~Mach 2.5 (850 m/s) from the last accepted one is rejected
  (:class:`Rejected`, state unchanged) unless it is the fourth such in a row: then the earlier
  position was the odd one and tracking restarts from the new one.
- squawk 7500/7600/7700 raises an :class:`Alert` when it appears; a present non-emergency
  squawk clears it. A missing squawk changes nothing.
- an event not newer than ``last_seen`` (a repeat or out of order) updates nothing and is
  annotated with the current flight and phase.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

from aerolake.refdata.geo import EARTH_RADIUS_KM

Phase = Literal["ground", "climb", "cruise", "descent"]

GAP_S: Final[int] = 600
GROUND_STOP_S: Final[int] = 300
EVICT_AFTER_S: Final[int] = 300
MAX_SPEED_MS: Final[float] = 850.0
CLIMB_MS, LEVEL_MS = 2.5, 1.0
TRAIL_POINTS: Final[int] = 50
TRAIL_S: Final[int] = 1800
MAX_JUMPS_IN_ROW: Final[int] = 3
EMERGENCY: Final[frozenset[str]] = frozenset({"7500", "7600", "7700"})
_GROUND_TIMES_CAP: Final[int] = 1024


class Point(NamedTuple):
    """One event: the fields of a valid state vector the tracker needs (SI units, unix s)."""

    icao24: str
    time: int
    lat: float | None
    lon: float | None
    altitude: float | None  # baro, else geo, m
    vertrate: float | None
    onground: bool | None
    callsign: str | None  # trimmed, upper case, None when empty
    squawk: str | None
    postime: float | None  # lastposupdate


class TrailPoint(NamedTuple):
    time: int
    lat: float
    lon: float
    altitude: float | None


class AircraftState(NamedTuple):
    """What the tracker knows about one aircraft. Immutable; times are aircraft unix s."""

    icao24: str
    flight_id: str
    flight_start: int
    first_seen: int  # first event since tracking (re)started
    last_seen: int
    lat: float | None
    lon: float | None
    altitude: float | None
    vertrate: float | None
    onground: bool
    phase: Phase
    squawk: str | None
    squawk_emergency: str | None  # the emergency code currently raised
    last_callsign: str | None
    callsign_time: int | None  # when last_callsign was last seen
    segment_start: int  # latest hard break (first point, gap, ground stop)
    last_air_time: int | None  # latest airborne event
    ground_times: tuple[int, ...]  # ground events that may still start the next flight
    pos_time: float | None  # when the last accepted position was measured
    jumps_in_row: int
    trail: tuple[TrailPoint, ...]


@dataclass(frozen=True, slots=True)
class Alert:
    """An emergency squawk appeared (``raised``) or went away (``cleared``)."""

    icao24: str
    squawk: str
    kind: Literal["raised", "cleared"]
    time: int
    callsign: str | None
    lat: float | None
    lon: float | None


@dataclass(frozen=True, slots=True)
class Rejected:
    icao24: str
    time: int
    reason: Literal["implausible_jump"]
    speed_ms: float


Output = Alert | Rejected


@dataclass(frozen=True, slots=True)
class Tracked:
    """Result of :func:`track_run`: per event, its flight id and phase (None when rejected)."""

    state: AircraftState
    outputs: list[Output]
    flight_ids: list[str | None]
    phases: list[Phase | None]


def flight_id(icao24: str, start: int) -> str:
    return f"{icao24}-{dt.datetime.fromtimestamp(start, dt.UTC):%Y%m%dT%H%M%SZ}"


def flight_start(
    s: AircraftState | None, t: int, onground: bool, callsign: str | None
) -> tuple[int, int]:
    """``(flight_start, segment_start)`` after an event at ``t``: the batch rule, streamed.

    Mirrors ``analytics/sql/flight_points.sql``: a hard break (first point, gap > 600 s, or a
    ground stop of >= 300 s between airborne points, split at its midpoint) starts a segment;
    inside a segment a callsign change from one non-empty value to another starts a flight.
    Streaming cannot look ahead, so the ground-stop split is made at take-off and names the
    first ground point after the midpoint, whose time starts the new flight; the ground points
    between that one and take-off were already emitted with the arriving flight's id (the
    batch layer corrects them).
    """
    if s is None or t - s.last_seen > GAP_S:
        return t, t
    start, segment = s.flight_start, s.segment_start
    air = s.last_air_time
    if not onground and s.onground and air is not None and t - air >= GROUND_STOP_S:
        split = next((g for g in s.ground_times if 2 * g >= air + t), t)
        segment = split
        start = max(start, split)
    if (
        callsign is not None
        and s.last_callsign is not None
        and callsign != s.last_callsign
        and s.callsign_time is not None
        and s.callsign_time >= segment
    ):
        start = t
    return start, segment


def _phase(previous: Phase, onground: bool, vertrate: float | None) -> Phase:
    if onground:
        return "ground"
    if vertrate is None:
        return "cruise" if previous == "ground" else previous
    if vertrate > CLIMB_MS or (previous == "climb" and vertrate > LEVEL_MS):
        return "climb"
    if vertrate < -CLIMB_MS or (previous == "descent" and vertrate < -LEVEL_MS):
        return "descent"
    return "cruise"


def _speed_ms(s: AircraftState, e: Point) -> float:
    """Ground speed implied between the last accepted position and ``e``'s, m/s."""
    if s.lat is None or s.lon is None or e.lat is None or e.lon is None:
        return 0.0
    p1, p2 = math.radians(s.lat), math.radians(e.lat)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(e.lon - s.lon) / 2) ** 2
    )
    metres = 2000.0 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))
    then = s.pos_time if s.pos_time is not None else s.last_seen
    now = e.postime if e.postime is not None else e.time
    return metres / max(now - then, 1.0)


def _squawk_alerts(s: AircraftState | None, e: Point) -> tuple[str | None, list[Output]]:
    raised = s.squawk_emergency if s is not None else None
    code = e.squawk
    if code is None or code == raised or (raised is None and code not in EMERGENCY):
        return raised, []
    out: list[Output] = []
    callsign = e.callsign or (s.last_callsign if s is not None else None)
    if raised is not None:
        out.append(Alert(e.icao24, raised, "cleared", e.time, callsign, e.lat, e.lon))
    if code in EMERGENCY:
        out.append(Alert(e.icao24, code, "raised", e.time, callsign, e.lat, e.lon))
        return code, out
    return None, out


def _step(s: AircraftState | None, e: Point) -> tuple[AircraftState, list[Output]]:
    """One event, the rules of the module docstring; the trail is extended by the caller."""
    onground = bool(e.onground)
    if s is not None and e.lat is not None and e.lon is not None:
        speed = _speed_ms(s, e)
        if speed > MAX_SPEED_MS and s.jumps_in_row < MAX_JUMPS_IN_ROW:
            return s._replace(jumps_in_row=s.jumps_in_row + 1), [
                Rejected(e.icao24, e.time, "implausible_jump", speed)
            ]
    start, segment = flight_start(s, e.time, onground, e.callsign)
    emergency, outputs = _squawk_alerts(s, e)
    has_pos = e.lat is not None and e.lon is not None
    ground: tuple[int, ...]
    last_air: int | None
    if s is None or e.time - s.last_seen > GAP_S:
        last_air, ground, previous = None, (), "ground" if onground else "cruise"
        first_seen = e.time
        callsign, callsign_time = None, None
        old_pos: tuple[float | None, float | None, float | None] = (None, None, None)
    else:
        last_air, ground, previous = s.last_air_time, s.ground_times, s.phase
        first_seen, callsign, callsign_time = s.first_seen, s.last_callsign, s.callsign_time
        old_pos = (s.lat, s.lon, s.pos_time)
    if onground:
        if last_air is not None:
            twice_floor = last_air + e.time  # earlier ground times can no longer be the split
            ground = (*(g for g in ground if 2 * g >= twice_floor), e.time)[-_GROUND_TIMES_CAP:]
    else:
        last_air, ground = e.time, ()
    if e.callsign is not None:
        callsign, callsign_time = e.callsign, e.time
    state = AircraftState(
        icao24=e.icao24,
        flight_id=flight_id(e.icao24, start)
        if s is None or start != s.flight_start
        else s.flight_id,
        flight_start=start,
        first_seen=first_seen,
        last_seen=e.time,
        lat=e.lat if has_pos else old_pos[0],
        lon=e.lon if has_pos else old_pos[1],
        altitude=e.altitude,
        vertrate=e.vertrate,
        onground=onground,
        phase=_phase(previous, onground, e.vertrate),  # type: ignore[arg-type]
        squawk=e.squawk if e.squawk is not None else (s.squawk if s is not None else None),
        squawk_emergency=emergency,
        last_callsign=callsign,
        callsign_time=callsign_time,
        segment_start=segment,
        last_air_time=last_air,
        ground_times=ground,
        pos_time=(e.postime if e.postime is not None else e.time) if has_pos else old_pos[2],
        jumps_in_row=0,
        trail=s.trail if s is not None else (),
    )
    return state, outputs


def _bounded(trail: Sequence[TrailPoint]) -> tuple[TrailPoint, ...]:
    """The newest TRAIL_POINTS points within TRAIL_S of the newest one (``trail`` in time order)."""
    kept = tuple(trail[-TRAIL_POINTS:])
    if kept and kept[0].time < kept[-1].time - TRAIL_S:
        oldest = kept[-1].time - TRAIL_S
        kept = kept[next(i for i, p in enumerate(kept) if p.time >= oldest) :]
    return kept


def track_run(state: AircraftState | None, events: Sequence[Point]) -> Tracked:
    """Fold one aircraft's ``events`` (time order) into ``state``. Pure."""
    outputs: list[Output] = []
    ids: list[str | None] = []
    phases: list[Phase | None] = []
    trail = list(state.trail) if state is not None else []
    for e in events:
        if state is not None and e.time <= state.last_seen:
            ids.append(state.flight_id)
            phases.append(state.phase)
            continue
        new, out = _step(state, e)
        if out:
            outputs.extend(out)
        if new.last_seen != e.time:  # rejected
            ids.append(None)
            phases.append(None)
        else:
            if state is not None and new.last_seen - state.last_seen > GAP_S:
                trail = []
            if e.lat is not None and e.lon is not None:
                trail.append(TrailPoint(e.time, e.lat, e.lon, e.altitude))
            ids.append(new.flight_id)
            phases.append(new.phase)
        state = new
    if state is None:
        raise ValueError("track_run needs a state or at least one event")
    return Tracked(state._replace(trail=_bounded(trail)), outputs, ids, phases)


def track(state: AircraftState | None, event: Point) -> tuple[AircraftState, list[Output]]:
    """Fold one event into ``state`` (None for an aircraft not tracked yet). Pure."""
    result = track_run(state, (event,))
    return result.state, result.outputs


def evict(
    states: Mapping[str, AircraftState], now: int, after_s: int = EVICT_AFTER_S
) -> tuple[dict[str, AircraftState], list[AircraftState]]:
    """Split ``states`` into those seen within ``after_s`` of ``now`` (aircraft time) and the
    evicted rest. Pure: returns a new dict."""
    kept: dict[str, AircraftState] = {}
    evicted: list[AircraftState] = []
    for icao, s in states.items():
        if now - s.last_seen > after_s:
            evicted.append(s)
        else:
            kept[icao] = s
    return kept, evicted
