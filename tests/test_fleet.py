"""The vectorised batch tracker must agree with the per-event tracker on every field."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pyarrow as pa
import pytest

from aerolake.stream.fleet import EVENT_COLUMNS, PHASES, runs, track_batch, track_fleet
from aerolake.stream.store import FleetStore
from aerolake.stream.tracker import AircraftState, Output, Point, track

T0 = int(dt.datetime(2024, 3, 4, 6, 0, tzinfo=dt.UTC).timestamp())
SCHEMA = pa.schema(
    [
        ("icao24", pa.string()),
        ("time", pa.int64()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("altitude", pa.float64()),
        ("vertrate", pa.float64()),
        ("onground", pa.bool_()),
        ("callsign", pa.string()),
        ("squawk", pa.string()),
        ("postime", pa.float64()),
    ]
)


def flight_of(rng: random.Random, icao: str, t: int) -> list[Point]:
    """One aircraft's messy stream: climbs, bands, missing rates, ground stops, gaps, callsign
    changes, emergencies, jumps and repeats, at 5-15 s (sometimes much longer) intervals."""
    events: list[Point] = []
    lat, lon = 20.0 + rng.random(), 78.0 + rng.random()
    callsign: str | None = rng.choice(["IGO1", "AIC2"])
    ground = rng.random() < 0.3
    for _ in range(rng.randint(1, 60)):
        t += (
            rng.choice([5, 7, 10, 15, 15, 40, 320, 700])
            if rng.random() < 0.2
            else rng.randint(5, 15)
        )
        if rng.random() < 0.05:
            ground = not ground
        lat += rng.uniform(-0.02, 0.02)
        jump = rng.random() < 0.03
        vr = rng.choice([None, 0.0, 0.5, 1.0, 1.5, 2.5, 3.0, -1.0, -1.5, -2.5, -3.0, 8.0, -8.0])
        if rng.random() < 0.03:
            callsign = rng.choice(["IGO1", "AIC2", "SEJ3"])
        events.append(
            Point(
                icao,
                t - (rng.randint(0, 30) if rng.random() < 0.02 else 0),  # some out of order
                lat + (5.0 if jump else 0.0),
                lon,
                rng.choice([None, 900.0, 10000.0]),
                vr,
                ground if rng.random() > 0.02 else None,
                callsign if rng.random() > 0.2 else None,
                rng.choice(["1234", "1234", "1234", None, "7700", "2000"])
                if rng.random() < 0.1
                else "1234",
                None if rng.random() < 0.1 else t - rng.random(),
            )
        )
    return events


def as_table(events: list[Point]) -> pa.Table:
    return pa.Table.from_pylist([e._asdict() for e in events], schema=SCHEMA)


@pytest.mark.parametrize("seed", range(40))
def test_batches_agree_with_one_event_at_a_time(seed: int) -> None:
    rng = random.Random(seed)
    streams = [flight_of(rng, f"80{k:04x}", T0 + rng.randint(0, 100)) for k in range(12)]
    every = sorted((e for s in streams for e in s), key=lambda e: (e.time, e.icao24))
    cuts = sorted(rng.sample(range(1, max(2, len(every))), k=min(4, max(0, len(every) - 1))))
    batches = [every[a:b] for a, b in zip([0, *cuts], [*cuts, len(every)], strict=True)]

    batched: dict[str, AircraftState] = {}
    one_by_one: dict[str, AircraftState] = {}
    store = FleetStore(capacity=4)  # kept across batches, as the processor keeps it
    for batch in batches:
        # the processor's order: by aircraft, then time; duplicates of (icao24, time) removed
        seen: set[tuple[str, int]] = set()
        rows = []
        for e in sorted(batch, key=lambda e: (e.icao24, e.time)):
            if (e.icao24, e.time) not in seen:
                seen.add((e.icao24, e.time))
                rows.append(e)
        table = as_table(rows)
        assert tuple(table.column_names) == EVENT_COLUMNS
        keys, starts = runs(table.column("icao24"))
        result = track_batch([batched.get(k) for k in keys], starts, table)
        batched.update(zip(keys, result.states, strict=True))
        slots, has = store.slots(np.array([int(k, 16) for k in keys], dtype=np.int64))
        kept = track_fleet(store, slots, has, starts, table)
        assert kept.flight.tolist() == result.flight.tolist()
        assert kept.outputs == result.outputs
        assert store.states(slots) == result.states

        expected_ids: list[str | None] = []
        expected_phases: list[str | None] = []
        expected_outputs: list[Output] = []
        for e in rows:
            before = one_by_one.get(e.icao24)
            state, outputs = track(before, e)
            accepted = state.last_seen == e.time and (before is None or e.time > before.last_seen)
            stale = before is not None and e.time <= before.last_seen
            expected_ids.append(state.flight_id if accepted or stale else None)
            expected_phases.append(state.phase if accepted or stale else None)
            expected_outputs += outputs
            one_by_one[e.icao24] = state
        got_ids = [result.flight_ids[f] if f >= 0 else None for f in result.flight.tolist()]
        got_phases = [PHASES[p] if p >= 0 else None for p in result.phase.tolist()]
        assert got_ids == expected_ids
        assert got_phases == expected_phases
        assert result.outputs == expected_outputs
        assert batched == one_by_one


def test_a_quiet_batch_takes_the_vectorised_path_and_keeps_the_trail_bounded() -> None:
    events = [
        Point(
            "800abc", T0 + 10 * k, 20.0 + k * 1e-3, 78.0, 10000.0, 0.0, False, "IGO1", "1234", None
        )
        for k in range(120)
    ]
    table = as_table(events)
    keys, starts = runs(table.column("icao24"))
    result = track_batch([None], starts, table)
    state = result.states[0]
    assert keys == ["800abc"]
    assert len(state.trail) == 50 and state.trail[-1].time == T0 + 1190
    assert state.pos_time == T0 + 1190  # unix s (the store keeps it as a float)
    assert set(result.flight.tolist()) == {0}
    assert result.flight_ids == ["800abc-20240304T060000Z"]


def test_empty_batch() -> None:
    result = track_batch([], runs(pa.array([], pa.string()))[1], SCHEMA.empty_table())
    assert result.states == [] and len(result.flight) == 0
