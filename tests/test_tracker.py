"""The pure per-aircraft tracker: phases, flight ids, trail, eviction, alerts, jumps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from aerolake.stream.tracker import (
    TRAIL_POINTS,
    AircraftState,
    Alert,
    Output,
    Point,
    Rejected,
    evict,
    flight_id,
    track,
    track_run,
)

T0 = int(dt.datetime(2024, 3, 4, 6, 0, tzinfo=dt.UTC).timestamp())
ICAO = "800abc"


def pt(t: int, **kw: Any) -> Point:
    base: dict[str, Any] = {
        "icao24": ICAO,
        "time": t,
        "lat": 20.0 + (t - T0) * 1e-4,  # ~11 m/s northwards
        "lon": 78.0,
        "altitude": 10000.0,
        "vertrate": 0.0,
        "onground": False,
        "callsign": "IGO123",
        "squawk": "1234",
        "postime": float(t),
    }
    base.update(kw)
    return Point(**base)


def fold(events: Iterable[Point]) -> tuple[AircraftState, list[Output], list[str | None]]:
    state: AircraftState | None = None
    outputs: list[Output] = []
    ids: list[str | None] = []
    for e in events:
        result = track_run(state, [e])
        state = result.state
        outputs += result.outputs
        ids += result.flight_ids
    assert state is not None
    return state, outputs, ids


def test_phases_along_a_climb_cruise_descent_track_with_hysteresis() -> None:
    rates = [None, 0.0, 5.0, 8.0, 1.5, 0.5, 0.0, -3.0, -1.8, -0.2]
    ground = [True, True, False, False, False, False, False, False, False, False]
    state = None
    phases = []
    for i, (vr, og) in enumerate(zip(rates, ground, strict=True)):
        state, _ = track(state, pt(T0 + 10 * i, vertrate=vr, onground=og))
        phases.append(state.phase)
    assert phases == [
        "ground",
        "ground",
        "climb",
        "climb",
        "climb",  # 1.5 m/s: still above the 1 m/s exit of the climb band
        "cruise",
        "cruise",
        "descent",
        "descent",  # -1.8 m/s keeps the descent
        "cruise",
    ]


def test_flight_id_is_icao24_and_start_time() -> None:
    state, _ = track(None, pt(T0))
    assert state.flight_id == flight_id(ICAO, T0) == f"{ICAO}-20240304T060000Z"
    assert (state.first_seen, state.last_seen) == (T0, T0)


def test_new_flight_after_a_gap_of_more_than_ten_minutes_only() -> None:
    _, _, ids = fold([pt(T0), pt(T0 + 600), pt(T0 + 1201)])
    assert ids == [flight_id(ICAO, T0), flight_id(ICAO, T0), flight_id(ICAO, T0 + 1201)]


def test_new_flight_when_callsign_changes_but_not_when_it_goes_missing() -> None:
    events = [
        pt(T0, callsign="IGO123"),
        pt(T0 + 10, callsign=None),
        pt(T0 + 20, callsign="IGO123"),
        pt(T0 + 30, callsign="IGO456"),
        pt(T0 + 40, callsign=None),
    ]
    _, _, ids = fold(events)
    first, second = flight_id(ICAO, T0), flight_id(ICAO, T0 + 30)
    assert ids == [first, first, first, second, second]


def test_new_flight_after_a_ground_stop_starts_at_the_stop_midpoint() -> None:
    events = [pt(T0, onground=False)]
    events += [pt(T0 + 60 * k, onground=True, lat=20.0) for k in range(1, 11)]  # 10 min
    events.append(pt(T0 + 660, onground=False, lat=20.01))
    _, _, ids = fold(events)
    # airborne at T0 and T0+660: midpoint T0+330, first ground point at or after it T0+360
    assert ids[-1] == flight_id(ICAO, T0 + 360)
    assert set(ids[:-1]) == {flight_id(ICAO, T0)}


def test_short_ground_contact_is_not_a_new_flight() -> None:
    events = [pt(T0), pt(T0 + 60, onground=True), pt(T0 + 120, onground=False)]
    _, _, ids = fold(events)
    assert set(ids) == {flight_id(ICAO, T0)}


def test_trail_is_bounded_in_points_and_time() -> None:
    state, _, _ = fold(pt(T0 + 10 * k) for k in range(TRAIL_POINTS + 30))
    assert len(state.trail) == TRAIL_POINTS
    assert state.trail[-1].time == state.last_seen
    sparse, _, _ = fold(pt(T0 + 500 * k) for k in range(10))  # 500 s apart: 30 min holds 4
    assert [p.time for p in sparse.trail] == [T0 + 500 * k for k in range(6, 10)]


def test_eviction_after_five_minutes_of_aircraft_time() -> None:
    a, _ = track(None, pt(T0))
    b, _ = track(None, pt(T0 + 100, icao24="800abd"))
    kept, evicted = evict({"800abc": a, "800abd": b}, now=T0 + 300)
    assert set(kept) == {"800abc", "800abd"}
    kept, evicted = evict({"800abc": a, "800abd": b}, now=T0 + 301)
    assert set(kept) == {"800abd"}
    assert evicted == [a]


def test_emergency_squawk_raised_and_cleared_exactly_once() -> None:
    squawks = ["1234", "7700", "7700", None, "7700", "1234", "1234", None]
    _, outputs, _ = fold(pt(T0 + 10 * i, squawk=s) for i, s in enumerate(squawks))
    alerts = [o for o in outputs if isinstance(o, Alert)]
    assert [(a.kind, a.squawk, a.time) for a in alerts] == [
        ("raised", "7700", T0 + 10),
        ("cleared", "7700", T0 + 50),
    ]
    assert alerts[0].callsign == "IGO123"


def test_switching_between_emergency_codes_clears_one_and_raises_the_other() -> None:
    _, outputs, _ = fold([pt(T0, squawk="7600"), pt(T0 + 10, squawk="7500")])
    assert [(o.kind, o.squawk) for o in outputs if isinstance(o, Alert)] == [
        ("raised", "7600"),
        ("cleared", "7600"),
        ("raised", "7500"),
    ]


def test_implausible_jump_is_rejected_and_leaves_the_state_alone() -> None:
    state, _ = track(None, pt(T0))
    jumped, outputs = track(state, pt(T0 + 10, lat=25.0))  # ~550 km in 10 s
    assert [type(o) for o in outputs] == [Rejected]
    assert isinstance(outputs[0], Rejected) and outputs[0].speed_ms > 850
    assert jumped._replace(jumps_in_row=0) == state
    fine, outputs = track(jumped, pt(T0 + 20))
    assert outputs == [] and fine.last_seen == T0 + 20 and fine.jumps_in_row == 0


def test_a_persistent_new_position_wins_after_three_rejections() -> None:
    state, _ = track(None, pt(T0))
    kinds = []
    for k in range(1, 5):
        state, outputs = track(state, pt(T0 + 10 * k, lat=30.0 + k * 1e-4))
        kinds.append([type(o).__name__ for o in outputs])
    assert kinds == [["Rejected"], ["Rejected"], ["Rejected"], []]
    assert state.lat is not None and state.lat > 29


def test_repeated_or_older_events_change_nothing() -> None:
    state, _ = track(None, pt(T0 + 10))
    result = track_run(state, [pt(T0 + 10, squawk="7700"), pt(T0, squawk="7700")])
    assert result.state == state
    assert result.outputs == []
    assert result.flight_ids == [state.flight_id] * 2


def test_track_run_equals_folding_track_one_event_at_a_time() -> None:
    events = [
        pt(T0 + 10 * k, vertrate=float(k % 7 - 3), squawk="7700" if k == 5 else "1234")
        for k in range(20)
    ]
    one_by_one, outputs, ids = fold(events)
    batched = track_run(None, events)
    assert batched.state == one_by_one
    assert batched.outputs == outputs
    assert batched.flight_ids == ids
