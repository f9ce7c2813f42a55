"""History mode of the simulator: schema, determinism, plausibility, flights and ground truth."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from aerolake.refdata.airlines import airlines_of_country
from aerolake.refdata.airports import load_airports
from aerolake.refdata.countries import icao24_block, parse_icao24, registration_country_iso2
from aerolake.refdata.geo import haversine_km
from aerolake.refdata.regions import PRESETS
from aerolake.schema import STATE_SCHEMA
from aerolake.sources.simulator import (
    GROUND_TRUTH_SCHEMA,
    SimulatorConfig,
    ground_truth,
    simulate_history,
    simulate_history_hours,
)
from aerolake.sources.simulator.kinematics import PHASES, evaluate
from aerolake.sources.simulator.schedule import Schedule

INDIA = PRESETS["india"]
# 08:00 IST: the morning bank is airborne, and flights from before the window are mid-air.
START = dt.datetime(2024, 5, 6, 2, 30, tzinfo=dt.UTC)
HOURS = 3
CONFIG = SimulatorConfig(INDIA, aircraft=80, seed=7)


@pytest.fixture(scope="module")
def hours() -> list[tuple[dt.datetime, pa.Table]]:
    return list(simulate_history_hours(CONFIG, START, HOURS))


@pytest.fixture(scope="module")
def states(hours: list[tuple[dt.datetime, pa.Table]]) -> pa.Table:
    return pa.concat_tables([t for _, t in hours])


@pytest.fixture(scope="module")
def truth() -> pa.Table:
    return ground_truth(CONFIG, START, HOURS)


def _np(table: pa.Table, column: str) -> np.ndarray:  # type: ignore[type-arg]
    return table.column(column).to_numpy(zero_copy_only=False)


def _unix(col: pa.ChunkedArray | pa.Array) -> np.ndarray:  # type: ignore[type-arg]
    return pc.cast(col, pa.int64()).to_numpy() / 1e6


# --- shape -------------------------------------------------------------------------------------


def test_tables_have_the_canonical_schema(hours: list[tuple[dt.datetime, pa.Table]]) -> None:
    for _, table in hours:
        assert table.schema == STATE_SCHEMA
        assert pc.all(pc.equal(table.column("source"), "simulator")).as_py()


def test_one_table_per_utc_hour_sorted_by_time(hours: list[tuple[dt.datetime, pa.Table]]) -> None:
    keys = [h for h, _ in hours]
    # 02:30 + 3 h touches the hours 02, 03, 04 and 05 (half-hours at both ends).
    assert keys == [dt.datetime(2024, 5, 6, h, tzinfo=dt.UTC) for h in (2, 3, 4, 5)]
    lo, hi = START.timestamp(), START.timestamp() + HOURS * 3600
    for hour, table in hours:
        time = _np(table, "time")
        assert table.num_rows > 1000
        assert np.all(np.diff(time) >= 0)
        begin = max(hour.timestamp(), lo)
        end = min(hour.timestamp() + 3600, hi)
        assert time.min() >= begin and time.max() < end


def test_same_seed_same_rows_other_seed_other_rows(
    hours: list[tuple[dt.datetime, pa.Table]],
) -> None:
    again = list(simulate_history_hours(CONFIG, START, HOURS))
    assert [h for h, _ in again] == [h for h, _ in hours]
    assert all(a.equals(b) for (_, a), (_, b) in zip(again, hours, strict=True))
    other = next(iter(simulate_history_hours(SimulatorConfig(INDIA, 80, seed=8), START, 1)))[1]
    assert not other.equals(hours[0][1])


def test_rows_do_not_depend_on_how_the_window_is_cut(
    hours: list[tuple[dt.datetime, pa.Table]],
) -> None:
    later = START + dt.timedelta(minutes=30)
    cut = list(simulate_history_hours(CONFIG, later, 1))
    assert cut[0][0] == hours[1][0]
    assert cut[0][1].equals(hours[1][1])


def test_simulate_history_yields_the_same_rows_as_batches(states: pa.Table) -> None:
    batches = list(simulate_history(INDIA, START, HOURS, aircraft=80, seed=7))
    assert all(b.schema == STATE_SCHEMA for b in batches)
    assert pa.Table.from_batches(batches).equals(states.combine_chunks())


# --- plausibility ------------------------------------------------------------------------------


def test_every_value_is_in_a_plausible_range(states: pa.Table) -> None:
    bbox = INDIA.bbox
    assert pc.min(states["velocity"]).as_py() >= 0
    assert pc.max(states["velocity"]).as_py() <= 270
    assert pc.min(states["baroaltitude"]).as_py() >= -400
    assert pc.max(states["baroaltitude"]).as_py() <= 12_510
    assert pc.max(states["geoaltitude"]).as_py() <= 13_000
    assert pc.max(pc.abs(states["vertrate"])).as_py() <= 16
    assert pc.min(states["heading"]).as_py() >= 0 and pc.max(states["heading"]).as_py() < 360
    assert (
        bbox.lamin <= pc.min(states["lat"]).as_py() <= pc.max(states["lat"]).as_py() <= bbox.lamax
    )
    assert (
        bbox.lomin <= pc.min(states["lon"]).as_py() <= pc.max(states["lon"]).as_py() <= bbox.lomax
    )
    squawks = set(states["squawk"].to_pylist())
    assert all(re.fullmatch(r"[0-7]{4}", s) for s in squawks)
    time, contact, posup = (
        _np(states, "time"),
        _np(states, "lastcontact"),
        _np(states, "lastposupdate"),
    )
    assert np.all(time >= contact) and np.all(time - contact < 1.0)
    assert np.all(contact >= posup) and np.all(contact - posup <= 1.5)


def test_surface_reports_have_no_altitude_and_airborne_ones_do(states: pa.Table) -> None:
    ground = _np(states, "onground")
    assert 0.02 < ground.mean() < 0.5
    baro = states["baroaltitude"]
    assert pc.all(pc.is_null(pc.filter(baro, states["onground"]))).as_py()
    assert pc.all(pc.is_valid(pc.filter(baro, pc.invert(states["onground"])))).as_py()
    assert pc.max(pc.filter(states["velocity"], states["onground"])).as_py() <= 90


def test_addresses_come_from_the_indian_block(states: pa.Table) -> None:
    first, last = icao24_block("IN")
    values = parse_icao24(pc.unique(states["icao24"]))
    assert np.all((values >= first) & (values <= last))
    assert set(states["origin_country"].to_pylist()) == {"India"}


def test_callsigns_are_indian_airline_designators_and_flight_numbers(states: pa.Table) -> None:
    designators = "|".join(a.icao for a in airlines_of_country("IN"))
    pattern = re.compile(rf"(?:{designators})[0-9]{{1,4}}[A-Z]? *")
    callsigns = set(states["callsign"].to_pylist())
    assert all(len(c) == 8 and pattern.fullmatch(c) for c in callsigns)
    # Each aircraft flies under one airline.
    pairs = {
        (i, c[:3])
        for i, c in zip(states["icao24"].to_pylist(), states["callsign"].to_pylist(), strict=True)
    }
    assert len(pairs) == len({i for i, _ in pairs})


def test_reports_arrive_every_five_to_ten_seconds_with_gaps(states: pa.Table) -> None:
    order = pc.sort_indices(states, [("icao24", "ascending"), ("lastcontact", "ascending")])
    s = states.take(order)
    same = _np(s, "icao24")[1:] == _np(s, "icao24")[:-1]
    step = np.diff(_np(s, "lastcontact"))[same]
    assert np.all(step > 2.5)  # and time per aircraft is strictly increasing
    assert np.all(np.diff(_np(s, "time"))[same] > 0)
    assert 5.0 <= np.median(step) <= 10.0
    assert (step > 30).sum() > 10  # reception gaps and turnarounds


# --- flights -----------------------------------------------------------------------------------


def test_ground_truth_schema_and_flights_already_airborne_at_start(truth: pa.Table) -> None:
    assert truth.schema == GROUND_TRUTH_SCHEMA
    takeoff, landing = _unix(truth["takeoff_time"]), _unix(truth["landing_time"])
    block_off, block_on = _unix(truth["block_off"]), _unix(truth["block_on"])
    start, end = START.timestamp(), START.timestamp() + HOURS * 3600
    assert np.all((block_off < takeoff) & (takeoff < landing) & (landing < block_on))
    airborne_at_start = (takeoff < start) & (landing > start)
    assert airborne_at_start.sum() >= 5
    complete = _np(truth, "complete")
    assert np.array_equal(complete, (block_off >= start) & (block_on < end))
    assert complete.sum() >= 10
    assert len(set(truth["flight_id"].to_pylist())) == truth.num_rows


def test_flights_join_real_airports_at_least_150_km_apart(truth: pa.Table) -> None:
    index = load_airports()
    o = [index.by_icao(c) for c in truth["origin"].to_pylist()]
    d = [index.by_icao(c) for c in truth["destination"].to_pylist()]
    assert all(a is not None and a.country == "IN" for a in o + d)
    km = haversine_km(
        [a.lat for a in o], [a.lon for a in o], [a.lat for a in d], [a.lon for a in d]
    )  # type: ignore[union-attr]
    assert km.min() >= 150


def test_takeoff_and_landing_happen_at_the_airports() -> None:
    schedule = Schedule(CONFIG)
    legs = schedule.legs_between(START.timestamp(), START.timestamp() + HOURS * 3600)
    fleet = schedule.fleet
    idx = np.arange(len(legs))
    for when, airport in ((legs.takeoff, legs.origin), (legs.landing, legs.destination)):
        state = evaluate(legs.profiles, idx, when - legs.block_off)
        km = haversine_km(
            state.lat, state.lon, fleet.airport_lat[airport], fleet.airport_lon[airport]
        )
        assert km.max() < 3.0
        # Wheels leave (touch) the ground at the airport's elevation.
        assert np.allclose(state.altitude, fleet.airport_elev[airport], atol=1.0)


def test_surface_reports_are_near_the_flights_airports(states: pa.Table, truth: pa.Table) -> None:
    index = load_airports()
    ground = states.filter(states["onground"])
    flights = {
        row["icao24"]: row for row in truth.filter(truth["complete"]).to_pylist()
    }  # one complete flight per aircraft is enough
    checked = 0
    for row in ground.to_pylist():
        flight = flights.get(row["icao24"])
        if flight is None:
            continue
        t = dt.datetime.fromtimestamp(row["lastposupdate"], dt.UTC)  # when the position was valid
        if not flight["block_off"] <= t <= flight["block_on"]:
            continue
        code = flight["origin"] if t < flight["takeoff_time"] else flight["destination"]
        airport = index.by_icao(code)
        assert airport is not None
        assert haversine_km(row["lat"], row["lon"], airport.lat, airport.lon) < 5.0
        checked += 1
    assert checked > 100


def test_long_legs_cruise_between_fl300_and_fl410_and_climb_at_8_to_15_ms(
    states: pa.Table, truth: pa.Table
) -> None:
    index = load_airports()
    long_haul = set()
    for row in truth.to_pylist():
        o, d = index.by_icao(row["origin"]), index.by_icao(row["destination"])
        assert o is not None and d is not None
        if haversine_km(o.lat, o.lon, d.lat, d.lon) > 800:
            long_haul.add(row["callsign"])
    airborne = states.filter(pc.invert(states["onground"]))
    level = airborne.filter(pc.less_equal(pc.abs(airborne["vertrate"]), 0.4))
    callsigns = pc.utf8_trim_whitespace(level["callsign"]).to_pylist()
    baro = level["baroaltitude"].to_pylist()
    by_flight: dict[str, list[float]] = {}
    for c, b in zip(callsigns, baro, strict=True):
        if c in long_haul:
            by_flight.setdefault(c, []).append(b)
    cruising = [np.median(v) for v in by_flight.values() if len(v) > 50]
    assert len(cruising) >= 10
    assert all(9_000 <= m <= 12_500 for m in cruising)
    climbing = pc.filter(airborne["vertrate"], pc.greater(airborne["vertrate"], 2.0)).to_numpy()
    assert len(climbing) > 1000
    assert climbing.min() >= 8.0 and climbing.max() <= 15.0
    descending = pc.filter(airborne["vertrate"], pc.less(airborne["vertrate"], -2.0)).to_numpy()
    assert descending.min() >= -12.0 and descending.max() <= -3.0


def test_short_legs_cruise_lower_and_slower() -> None:
    legs = Schedule(CONFIG).day(19849)  # 2024-05-06
    dist, alt = legs.profiles.distance_m, legs.profiles.cruise_alt_m
    speed = legs.profiles.v0.reshape(-1, PHASES)[:, 3]
    short, long_ = dist < 400e3, dist > 800e3
    assert short.sum() > 5 and long_.sum() > 5
    assert alt[short].max() < alt[long_].min()
    assert np.median(speed[short]) < np.median(speed[long_])
    assert 220 <= np.median(speed[long_]) <= 250


def test_profiles_are_continuous_across_phase_changes() -> None:
    legs = Schedule(CONFIG).day(19849)
    n = len(legs)
    starts = legs.profiles.t0.reshape(-1, PHASES)[:, 1:]
    leg = np.repeat(np.arange(n), PHASES - 1)
    at = starts.ravel()
    before = evaluate(legs.profiles, leg, at - 1e-3)
    after = evaluate(legs.profiles, leg, at + 1e-3)
    km = haversine_km(before.lat, before.lon, after.lat, after.lon)
    assert km.max() < 0.001
    assert np.abs(before.altitude - after.altitude).max() < 0.1
    assert np.abs(before.velocity - after.velocity).max() < 0.1
    # Taxiing ends at a stop at the gate.
    end = evaluate(legs.profiles, np.arange(n), legs.profiles.block_s)
    assert np.abs(end.velocity).max() < 1e-6


def test_an_aircraft_chains_its_legs_with_turnarounds_of_30_minutes_or_more() -> None:
    day = ground_truth(CONFIG, dt.datetime(2024, 5, 6, tzinfo=dt.UTC), 48)
    order = pc.sort_indices(day, [("icao24", "ascending"), ("block_off", "ascending")])
    day = day.take(order)
    icao = _np(day, "icao24")
    same = icao[1:] == icao[:-1]
    assert same.sum() > 200
    dest, origin = _np(day, "destination")[:-1], _np(day, "origin")[1:]
    assert np.all(dest[same] == origin[same])
    ground = _unix(day["block_off"])[1:] - _unix(day["block_on"])[:-1]
    assert ground[same].min() >= 30 * 60
    # A new flight number per leg.
    callsign = _np(day, "callsign")
    assert (callsign[1:][same] != callsign[:-1][same]).mean() > 0.95


def test_hubs_are_busiest_and_nights_are_quiet() -> None:
    config = SimulatorConfig(INDIA, aircraft=600, seed=1)
    day = ground_truth(config, dt.datetime(2024, 5, 6, tzinfo=dt.UTC), 24)
    movements = pc.value_counts(
        pa.concat_arrays([day["origin"].combine_chunks(), day["destination"].combine_chunks()])
    )
    top = [v["values"] for v in sorted(movements.to_pylist(), key=lambda v: -v["counts"])[:6]]
    assert {"VIDP", "VABB", "VOBL"} <= set(top)
    takeoff = _unix(day["takeoff_time"])
    ist_hour = ((takeoff + 5.5 * 3600) % 86400) // 3600
    assert (ist_hour == 9).sum() > 5 * (ist_hour == 3).sum()
    airlines = pc.value_counts(day["airline_icao"]).to_pylist()
    assert max(airlines, key=lambda v: v["counts"])["values"] == "IGO"


def test_emergency_squawks_replace_the_code_for_the_rest_of_the_flight() -> None:
    config = SimulatorConfig(INDIA, aircraft=20, seed=3, emergency_rate=1.0)
    table = pa.concat_tables(t for _, t in simulate_history_hours(config, START, 2))
    squawk = _np(table, "squawk")
    emergency = np.isin(squawk, ["7700", "7600"])
    assert 0.05 < emergency.mean() < 0.9
    assert (squawk == "7700").sum() > (squawk == "7600").sum()
    # Once a flight squawks an emergency it keeps doing so; an alert marks the change.
    for callsign in set(_np(table, "callsign")[emergency]):
        rows = table.filter(pc.equal(table["callsign"], callsign))
        flag = np.isin(_np(rows, "squawk"), ["7700", "7600"])
        assert np.all(np.diff(flag.astype(int)) >= 0)
    assert _np(table, "alert")[emergency].mean() > _np(table, "alert")[~emergency].mean()
    normal = SimulatorConfig(INDIA, aircraft=20, seed=3, emergency_rate=0.0)
    quiet = next(iter(simulate_history_hours(normal, START, 1)))[1]
    assert not np.isin(_np(quiet, "squawk"), ["7700", "7600", "7500"]).any()


def test_a_region_without_countries_uses_any_airline_in_the_box() -> None:
    config = SimulatorConfig(PRESETS["europe"], aircraft=60, seed=5)
    table = next(
        iter(simulate_history_hours(config, dt.datetime(2024, 5, 6, 9, tzinfo=dt.UTC), 1))
    )[1]
    assert table.num_rows > 1000
    icao = pc.unique(table["icao24"])
    countries = set(registration_country_iso2(icao).to_pylist())
    assert len(countries) >= 3 and None not in countries
    assert pc.all(pc.is_valid(table["origin_country"])).as_py()


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next(iter(simulate_history_hours(CONFIG, dt.datetime(2024, 5, 6), 1)))  # noqa: DTZ001
    with pytest.raises(ValueError, match="positive"):
        ground_truth(CONFIG, START, 0)
