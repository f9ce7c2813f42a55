"""The flight plan: which aircraft flies which leg when.

Each aircraft works one duty per local day (most start between 05:00 and 09:30 local time, a
few fly the night bank from the evening), made of round trips from its home base: home ->
outstation, a 30-90 min turnaround, outstation -> home, then 30-120 min on the ground before the
next round trip. A round trip that would end after the duty is not flown, so every duty ends
at home and days are independent: day ``k`` is a pure function of (config, k). That is what
lets the live mode and the history agree at any instant without replaying from an epoch.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from aerolake.refdata.geo import haversine_km, initial_bearing_deg
from aerolake.sources.simulator.config import SimulatorConfig
from aerolake.sources.simulator.fleet import Fleet, build_fleet
from aerolake.sources.simulator.hashing import key
from aerolake.sources.simulator.kinematics import FEET, ProfileDraws, build_profiles
from aerolake.sources.simulator.legs import Legs, concat

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

DAY_S: Final[int] = 86_400
MIN_LEG_KM: Final[float] = 150.0
MAX_LEG_KM: Final[float] = 4_000.0
MAX_TOURS: Final[int] = 12
#: Legs of day k lie within this many seconds after the local midnight that starts day k.
DAY_REACH_S: Final[float] = 42 * 3600.0
#: Flight numbers 10-9999.
NUMBERS: Final[int] = 9990
_SQUAWKS: Final[pa.Array] = pa.array([f"{i:04o}" for i in range(4096)], pa.string())


def plan_day(fleet: Fleet, config: SimulatorConfig, day: int) -> Legs:
    """Every leg flown in the duties that start on local day ``day`` (days since 1970-01-01)."""
    rng = np.random.default_rng([config.seed % 2**63, day % 2**63, 0x5C4ED])
    n = fleet.size
    day_start = day * DAY_S - fleet.utc_offset_s
    clock = day_start + fleet.duty_start_s + rng.uniform(0.0, 1200.0, n)
    duty_end = day_start + fleet.duty_start_s + fleet.duty_len_s
    active = np.ones(n, dtype=np.bool_)
    parts: list[Legs] = []
    for tour in range(MAX_TOURS):
        idx = np.flatnonzero(active)
        if tour > 0 and len(idx) == 0:
            break
        home = fleet.home[idx]
        away = pick_destinations(fleet, home, rng)
        found = away >= 0
        away = np.where(found, away, home)
        out = _legs(fleet, config, rng, day, 2 * tour, idx, home, away, clock[idx])
        turnaround = rng.uniform(30 * 60.0, 90 * 60.0, len(idx))
        back = _legs(
            fleet, config, rng, day, 2 * tour + 1, idx, away, home, out.block_on + turnaround
        )
        fits = found & (back.block_on <= duty_end[idx])
        keep = np.flatnonzero(fits)
        parts += [out.take(keep), back.take(keep)]
        clock[idx] = back.block_on + rng.uniform(30 * 60.0, 120 * 60.0, len(idx))
        active[idx[~fits]] = False
    legs = concat(parts)
    legs = legs.take(np.lexsort((legs.aircraft, legs.block_off)))
    return dataclasses.replace(legs, callsign=_callsigns(fleet, rng, legs.aircraft))


def pick_destinations(fleet: Fleet, origin: I64, rng: np.random.Generator) -> I64:
    """A traffic-weighted airport 150-4,000 km from each origin; -1 when none was found."""
    cdf = np.cumsum(fleet.airport_weight)
    cdf /= cdf[-1]
    dest = np.full(len(origin), -1, dtype=np.int64)
    todo = np.arange(len(origin))
    for _ in range(40):
        cand = np.minimum(np.searchsorted(cdf, rng.random(len(todo)), side="right"), len(cdf) - 1)
        o = origin[todo]
        km = haversine_km(
            fleet.airport_lat[o],
            fleet.airport_lon[o],
            fleet.airport_lat[cand],
            fleet.airport_lon[cand],
        )
        good = (cand != o) & (km >= MIN_LEG_KM) & (km <= MAX_LEG_KM)
        dest[todo[good]] = cand[good]
        todo = todo[~good]
        if len(todo) == 0:
            break
    return dest


def _legs(
    fleet: Fleet,
    config: SimulatorConfig,
    rng: np.random.Generator,
    day: int,
    number: int,
    aircraft: I64,
    origin: I64,
    dest: I64,
    block_off: F64,
) -> Legs:
    m = len(aircraft)
    lat1, lon1 = fleet.airport_lat[origin], fleet.airport_lon[origin]
    lat2, lon2 = fleet.airport_lat[dest], fleet.airport_lon[dest]
    km = haversine_km(lat1, lon1, lat2, lon2)
    eastbound = initial_bearing_deg(lat1, lon1, lat2, lon2) < 180.0
    draws = ProfileDraws(
        taxi_out_s=rng.uniform(360.0, 900.0, m),
        taxi_out_m=rng.uniform(1500.0, 2500.0, m),
        roll_out_s=rng.uniform(28.0, 40.0, m),
        liftoff_speed=rng.uniform(75.0, 85.0, m),
        climb_rate=rng.uniform(8.5, 14.5, m),
        cruise_level_m=_cruise_level(rng, km, eastbound) * 100 * FEET,
        cruise_speed=fleet.cruise_speed[aircraft] + rng.uniform(-8.0, 8.0, m),
        descent_rate=rng.uniform(7.0, 11.0, m),
        approach_speed=rng.uniform(68.0, 78.0, m),
        roll_in_s=rng.uniform(35.0, 50.0, m),
        exit_speed=rng.uniform(8.0, 12.0, m),
        taxi_in_s=rng.uniform(240.0, 600.0, m),
    )
    profiles = build_profiles(
        lat1, lon1, fleet.airport_elev[origin], lat2, lon2, fleet.airport_elev[dest], draws
    )
    liftoff, touchdown = profiles.phase_start(2), profiles.phase_start(6)
    emergency = np.where(
        rng.random(m) < config.emergency_rate, np.where(rng.random(m) < 0.8, 1, 2), 0
    )
    return Legs(
        aircraft=aircraft,
        day=np.full(m, day, dtype=np.int64),
        key=key(config.seed % 2**63, aircraft, day % 2**63, number),
        origin=origin,
        destination=dest,
        block_off=block_off,
        phase_offset_s=rng.uniform(0.0, 1.0, m) * fleet.period_s[aircraft],
        callsign=pa.nulls(m, pa.string()),  # named once the whole day is planned
        squawk=_SQUAWKS.take(pa.array(rng.integers(0o1000, 0o7000, m))),
        emergency=emergency.astype(np.int64),
        emergency_from_s=liftoff + rng.uniform(0.2, 0.9, m) * (touchdown - liftoff),
        geo_offset_m=rng.uniform(50.0, 300.0, m),
        profiles=profiles,
    )


def _cruise_level(rng: np.random.Generator, km: F64, eastbound: npt.NDArray[np.bool_]) -> F64:
    """Flight level (hundreds of feet): short legs fly low; odd thousands eastbound, even west."""
    low = np.select([km < 400, km < 800], [170, 250], 300)
    high = np.select([km < 400, km < 800], [260, 350], 410)
    level = low + 20 * rng.integers(0, 1 + (high - low) // 20)
    level = level + np.where(eastbound == ((level // 10) % 2 == 0), 10, 0)
    result: F64 = np.where(level > high, level - 20, level).astype(np.float64)
    return result


def _callsigns(fleet: Fleet, rng: np.random.Generator, aircraft: I64) -> pa.Array:
    """Airline designator + flight number (10-9999, rarely with a letter), padded to 8.

    Numbers are unique per airline within the day's plan; an airline with more legs than
    numbers uses letter suffixes for the overflow.
    """
    airline = fleet.airline[aircraft]
    number = np.zeros(len(aircraft), dtype=np.int64)
    for code in np.unique(airline):
        members = np.flatnonzero(airline == code)
        pool = NUMBERS * min(27, -(-len(members) // NUMBERS))
        number[members] = rng.choice(pool, size=len(members), replace=False)
    letter = number // NUMBERS
    letter = np.where(
        (letter == 0) & (rng.random(len(aircraft)) < 0.03),
        1 + rng.integers(0, 26, len(aircraft)),
        letter,
    )
    flight = 10 + number % NUMBERS
    codes = [fleet.airlines[i].icao for i in airline]
    return pa.array(
        [
            f"{c}{f}{chr(64 + ch) if ch else ''}".ljust(8)
            for c, f, ch in zip(codes, flight.tolist(), letter.tolist(), strict=True)
        ],
        pa.string(),
    )


class Schedule:
    """The fleet and its day plans for one config, planned lazily and cached (a few days)."""

    def __init__(self, config: SimulatorConfig, cache_days: int = 6) -> None:
        self.config = config
        self.fleet = build_fleet(config)
        self._cache: OrderedDict[int, Legs] = OrderedDict()
        self._cache_days = cache_days

    def day(self, day: int) -> Legs:
        if day in self._cache:
            self._cache.move_to_end(day)
            return self._cache[day]
        legs = plan_day(self.fleet, self.config, day)
        self._cache[day] = legs
        while len(self._cache) > self._cache_days:
            self._cache.popitem(last=False)
        return legs

    def legs_between(self, t0: float, t1: float, linger_s: float = 0.0) -> Legs:
        """Legs with block time (extended by ``linger_s`` after block-on) meeting [t0, t1)."""
        off = self.fleet.utc_offset_s
        first = int(np.floor((t0 + off - DAY_REACH_S) / DAY_S))
        last = int(np.floor((t1 + off) / DAY_S))
        parts = [self.day(k) for k in range(first, last + 1)]
        legs = concat(parts)
        hit = (legs.block_off < t1) & (legs.block_on + linger_s > t0)
        return legs.take(np.flatnonzero(hit))
