"""Live mode of the simulator: a LiveSource whose polls agree with the history."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aerolake.refdata.regions import PRESETS
from aerolake.schema import STATE_SCHEMA
from aerolake.sources.simulator import SimulatorConfig, SimulatorLive, simulate_history_hours
from aerolake.sources.simulator.reception import LINGER_S

INDIA = PRESETS["india"]
CONFIG = SimulatorConfig(INDIA, aircraft=120, seed=11)
# 11:50 IST on a Monday, fractional on purpose.
NOW = dt.datetime(2024, 5, 6, 6, 20, tzinfo=dt.UTC).timestamp() + 0.75


def test_poll_returns_the_canonical_schema_at_the_clock_second() -> None:
    live = SimulatorLive(CONFIG, clock=lambda: NOW)
    batch = live.poll()
    assert live.name == "simulator"
    assert batch.schema == STATE_SCHEMA
    assert batch.num_rows > 30
    assert pc.all(pc.equal(batch["time"], int(NOW))).as_py()
    assert pc.all(pc.equal(batch["source"], "simulator")).as_py()
    # One row per aircraft, each heard at most 300 s ago (OpenSky's habit).
    assert len(pc.unique(batch["icao24"])) == batch.num_rows
    age = int(NOW) - batch["lastcontact"].to_numpy()
    assert age.min() >= 0 and age.max() <= LINGER_S
    assert np.median(age) < 10


def test_poll_equals_the_history_at_that_instant() -> None:
    live = SimulatorLive(CONFIG, clock=lambda: NOW)
    polled = pa.Table.from_batches([live.poll()])
    start = dt.datetime.fromtimestamp(int(NOW) - 400, dt.UTC)
    history = pa.concat_tables(t for _, t in simulate_history_hours(CONFIG, start, 401 / 3600))
    # Each live row is the aircraft's latest report in the history up to that second.
    latest = history.group_by("icao24").aggregate([("lastcontact", "max")])
    latest = latest.filter(pc.greater_equal(latest["lastcontact_max"], int(NOW) - LINGER_S))
    assert set(latest["icao24"].to_pylist()) == set(polled["icao24"].to_pylist())
    joined = polled.join(
        history.drop(["time", "source", "batch_id", "ingested_at"]),
        keys=["icao24", "lastcontact"],
        right_suffix="_h",
    )
    assert joined.num_rows == polled.num_rows
    for column in ("lat", "lon", "velocity", "heading", "baroaltitude", "squawk", "callsign"):
        same = pc.equal(joined[column], joined[f"{column}_h"])
        assert pc.all(pc.or_kleene(same, pc.is_null(joined[column]))).as_py(), column


def test_consecutive_polls_move_aircraft_consistently() -> None:
    now = [NOW]
    live = SimulatorLive(CONFIG, clock=lambda: now[0])
    first = pa.Table.from_batches([live.poll()])
    now[0] += 10
    second = pa.Table.from_batches([live.poll()])
    both = first.join(second, keys="icao24", right_suffix="_2")
    moved = both.filter(pc.invert(both["onground"]))
    assert moved.num_rows > 20
    dt_s = moved["lastcontact_2"].to_numpy() - moved["lastcontact"].to_numpy()
    dlat = np.abs(moved["lat_2"].to_numpy() - moved["lat"].to_numpy()) * 111_000
    assert np.all(dlat <= 270 * dt_s + 100)  # nobody outruns a jet between two reports


def test_source_name_override_tags_fallback_rows() -> None:
    live = SimulatorLive(CONFIG, clock=lambda: NOW, source_name="simulator-fallback")
    batch = live.poll()
    assert pc.all(pc.equal(batch["source"], "simulator-fallback")).as_py()


def test_check_reports_a_sample_and_never_raises() -> None:
    check = SimulatorLive(CONFIG, clock=lambda: NOW).check()
    assert check.reachable and check.source == "simulator" and check.auth == "n/a"
    assert check.states > 30 and len(check.sample) == 5
    assert "fleet 120" in check.message

    def broken() -> float:
        raise RuntimeError("clock stopped")

    failed = SimulatorLive(CONFIG, clock=broken).check()
    assert not failed.reachable and "clock stopped" in failed.message


def test_a_quiet_night_has_fewer_aircraft_than_noon() -> None:
    night = dt.datetime(2024, 5, 6, 21, 30, tzinfo=dt.UTC).timestamp()  # 03:00 IST
    quiet = SimulatorLive(CONFIG, clock=lambda: night).poll().num_rows
    busy = SimulatorLive(CONFIG, clock=lambda: NOW).poll().num_rows
    assert quiet < busy / 3


def test_fifteen_thousand_aircraft_in_one_poll() -> None:
    # Builds the fleet and plans three days for 15,000 aircraft: about 1-3 s on two cores.
    batch = SimulatorLive(SimulatorConfig(INDIA, aircraft=15_000, seed=2), clock=lambda: NOW).poll()
    # At midday about two thirds of the fleet is airborne or taxiing; the rest is on the ground
    # between flights with transponders off.
    assert 8_000 <= batch.num_rows <= 15_000
    assert len(pc.unique(batch["icao24"])) == batch.num_rows


def test_an_empty_sky_is_an_empty_batch_not_an_error() -> None:
    night = dt.datetime(2024, 5, 6, 21, 30, tzinfo=dt.UTC).timestamp()  # 03:00 IST
    batch = SimulatorLive(SimulatorConfig(INDIA, aircraft=1, seed=1), clock=lambda: night).poll()
    assert batch.num_rows == 0 and batch.schema == STATE_SCHEMA
