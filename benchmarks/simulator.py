"""Benchmark the traffic simulator.

- history mode: state vectors per second for ``--hours`` hours of a ``--aircraft`` fleet over
  India (fleet build, day plans, reports, noise and Arrow tables, hour by hour, all included);
- live mode: one poll of a ``--live-aircraft`` fleet (first poll, which builds the fleet and
  plans the days, and a second, warm poll);
- baseline, measured in the same run: the same kinematics and noise written as a plain
  per-point Python loop (``math`` and ``random``, one dict per row) on ``--baseline-points``
  reports of the first hour. It checks its positions against the vectorised ones.

Prints figures and the speed-up ratio. No assertions on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import time

import numpy as np

from aerolake.refdata.airports import load_airports
from aerolake.refdata.regions import PRESETS
from aerolake.sources.simulator import SimulatorConfig, SimulatorLive, simulate_history_hours
from aerolake.sources.simulator.kinematics import EARTH_RADIUS_M, PHASE_ON_GROUND, PHASES
from aerolake.sources.simulator.legs import Legs
from aerolake.sources.simulator.reception import candidates_between, observe
from aerolake.sources.simulator.schedule import Schedule

START = dt.datetime(2024, 5, 6, 0, tzinfo=dt.UTC)  # 05:30 IST, the morning bank taking off


def bench_history(aircraft: int, hours: int, seed: int) -> float:
    config = SimulatorConfig(PRESETS["india"], aircraft=aircraft, seed=seed)
    started = time.perf_counter()
    rows = 0
    for hour, table in simulate_history_hours(config, START, hours):
        rows += table.num_rows
        print(f"  {hour:%Y-%m-%d %H}h  {table.num_rows:>10,} states")
    elapsed = time.perf_counter() - started
    rate = rows / elapsed
    print(f"history: {rows:,} states, {aircraft:,} aircraft, {hours} h in {elapsed:.2f} s")
    print(f"history: {rate:,.0f} state vectors/s")
    return rate


def bench_live(aircraft: int, seed: int) -> None:
    config = SimulatorConfig(PRESETS["india"], aircraft=aircraft, seed=seed)
    noon = START.timestamp() + 6.5 * 3600  # 12:00 IST
    live = SimulatorLive(config, clock=lambda: noon)
    started = time.perf_counter()
    batch = live.poll()
    first = time.perf_counter() - started
    started = time.perf_counter()
    live.poll()
    warm = time.perf_counter() - started
    print(
        f"live: {aircraft:,} aircraft -> {batch.num_rows:,} states; first poll {first:.2f} s "
        f"(fleet + day plans), warm poll {warm:.3f} s"
    )


def naive_state(legs: Legs, leg: int, tau: float) -> dict[str, float | bool]:
    """One report, point by point: phase search, profile, great circle, noise."""
    p = legs.profiles
    phase = 0
    for k in range(1, PHASES):
        if tau >= p.t0[leg * PHASES + k]:
            phase = k
    row = leg * PHASES + phase
    u = tau - p.t0[row]
    s = p.s0[row] + p.v0[row] * u + 0.5 * p.acc[row] * u * u
    delta = s / EARTH_RADIUS_M
    a = [p.a[i][leg] for i in range(3)]
    b = [p.b[i][leg] for i in range(3)]
    pos = [math.cos(delta) * a[i] + math.sin(delta) * b[i] for i in range(3)]
    tan = [math.cos(delta) * b[i] - math.sin(delta) * a[i] for i in range(3)]
    rxy = math.hypot(pos[0], pos[1])
    cos_lon, sin_lon = pos[0] / rxy, pos[1] / rxy
    east = tan[1] * cos_lon - tan[0] * sin_lon
    north = tan[2] * rxy - pos[2] * (tan[0] * cos_lon + tan[1] * sin_lon)
    lat = math.degrees(math.atan2(pos[2], rxy))
    lon = math.degrees(math.atan2(pos[1], pos[0]))
    ground = bool(PHASE_ON_GROUND[phase])
    altitude = p.h0[row] + p.vr[row] * u
    return {
        "lat": lat,
        "lon": lon,
        "lat_noisy": lat + math.degrees(random.uniform(-15, 15) / EARTH_RADIUS_M),
        "velocity": max(p.v0[row] + p.acc[row] * u + random.uniform(-0.8, 0.8), 0.0),
        "heading": math.degrees(math.atan2(east, north)) % 360.0,
        "vertrate": p.vr[row],
        "baroaltitude": round((altitude + random.uniform(-3.5, 3.5)) / 7.62) * 7.62,
        "onground": ground,
    }


def bench_baseline(aircraft: int, seed: int, points: int) -> float:
    config = SimulatorConfig(PRESETS["india"], aircraft=aircraft, seed=seed)
    schedule = Schedule(config)
    lo = int(START.timestamp()) + 3600
    legs = schedule.legs_between(lo, lo + 3600)
    leg, k, base, contact = candidates_between(schedule.fleet, legs, lo, lo + 3600)
    reports = observe(schedule.fleet, legs, config.gap_rate, leg, k, base, contact)
    pick = np.linspace(0, len(reports.leg) - 1, min(points, len(reports.leg))).astype(np.int64)
    sample_leg = reports.leg[pick].tolist()
    sample_tau = (reports.position_time[pick] - legs.block_off[reports.leg[pick]]).tolist()
    started = time.perf_counter()
    rows = [naive_state(legs, g, t) for g, t in zip(sample_leg, sample_tau, strict=True)]
    elapsed = time.perf_counter() - started
    err_deg = max(
        max(abs(r["lat"] - a), abs(r["lon"] - b))  # type: ignore[operator]
        for r, a, b in zip(rows, reports.state.lat[pick], reports.state.lon[pick], strict=True)
    )
    rate = len(rows) / elapsed
    print(
        f"baseline (per-point Python loop): {len(rows):,} states in {elapsed:.2f} s -> "
        f"{rate:,.0f} state vectors/s; max position difference {err_deg * 111_000:.2e} m"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=int, default=6)
    parser.add_argument("--aircraft", type=int, default=600)
    parser.add_argument("--live-aircraft", type=int, default=15_000)
    parser.add_argument("--baseline-points", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    load_airports()  # reference data is loaded once per process; keep it out of the timings
    rate = bench_history(args.aircraft, args.hours, args.seed)
    bench_live(args.live_aircraft, args.seed)
    baseline = bench_baseline(args.aircraft, args.seed, args.baseline_points)
    print(f"ratio: vectorised history is {rate / baseline:,.0f}x the per-point loop")


if __name__ == "__main__":
    main()
