"""The column-wise state store gives back the tracker states put in, evicts and reuses slots."""

from __future__ import annotations

import numpy as np

from aerolake.stream.store import ActiveStates, Evicted, FleetStore
from aerolake.stream.tracker import TRAIL_POINTS, AircraftState, Point, track, track_run

T0 = 1_709_532_000


def state_of(icao: str, t: int, points: int = 3, squawk: str | None = "1234") -> AircraftState:
    events = [
        Point(
            icao,
            t + 10 * k,
            20.0 + k * 1e-3,
            78.0,
            None if k % 2 else 900.0,
            None,
            False,
            None,
            squawk,
            None,
        )
        for k in range(points)
    ]
    return track_run(None, events).state


def codes(*icao: str) -> np.ndarray:
    return np.array([int(i, 16) for i in icao], dtype=np.int64)


def test_put_then_read_gives_the_same_states_nones_and_trails_included() -> None:
    store = FleetStore(capacity=1)  # grows
    states = [state_of("800001", T0), state_of("800002", T0, points=TRAIL_POINTS + 7, squawk=None)]
    slots, has = store.slots(codes("800001", "800002"))
    assert not has.any()
    store.put(slots, states)
    assert store.states(slots) == states
    assert len(store.states(slots)[1].trail) == TRAIL_POINTS
    again, has = store.slots(codes("800002", "800001"))
    assert has.all() and again.tolist() == slots[::-1].tolist()


def test_trail_ring_wraps_across_appends() -> None:
    store = FleetStore()
    slots, _ = store.slots(codes("800003"))
    state = state_of("800003", T0, points=40)
    store.put(slots, [state])
    more = [
        Point("800003", T0 + 400 + 10 * k, 20.04, 78.0, 1.0, 0.0, False, None, None, None)
        for k in range(30)
    ]
    expected = track_run(state, more).state.trail
    store.append_trails(
        slots,
        np.array([False]),
        np.array([30]),
        np.array([p.time for p in more]),
        np.array([p.lat for p in more]),
        np.array([p.lon for p in more]),
        np.array([1.0] * 30),
    )
    assert store.states(slots)[0].trail == expected


def test_evicted_aircraft_stay_dormant_for_the_gap_then_their_slot_is_reused() -> None:
    store = FleetStore()
    slots, _ = store.slots(codes("800004", "800005"))
    store.put(slots, [state_of("800004", T0), state_of("800005", T0 + 400)])
    evicted = store.evict(T0 + 420, after_s=300, gap_s=600)
    gone = state_of("800004", T0)
    assert evicted == [Evicted("800004", gone.last_seen, gone.flight_id)]
    assert set(ActiveStates(store)) == {"800005"}
    back, has = store.slots(codes("800004"))  # within the gap: the same state resumes
    assert has.all() and back[0] == slots[0]
    assert ActiveStates(store)["800004"].flight_id == state_of("800004", T0).flight_id

    store.evict(T0 + 1000, after_s=300, gap_s=600)  # both evicted, 800004 past the gap
    assert len(ActiveStates(store)) == 0
    fresh, has = store.slots(codes("800006"))
    assert not has[0] and fresh[0] == slots[0]  # the forgotten slot is reused
    _, has = store.slots(codes("800004"))
    assert not has[0]


def test_active_states_is_a_mapping_by_icao24() -> None:
    store = FleetStore()
    state, _ = track(None, Point("8000aa", T0, 20.0, 78.0, None, None, True, "IGO1", None, None))
    slots, _ = store.slots(codes("8000aa"))
    store.put(slots, [state])
    view = ActiveStates(store)
    assert dict(view) == {"8000aa": state}
    assert "8000ab" not in view and "nothex" not in view
