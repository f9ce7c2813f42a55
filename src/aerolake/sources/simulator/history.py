"""History mode: N hours of simulated state vectors, one table per UTC hour, and the truth.

The sky is already busy at ``start``: flights that took off before the window are in it from
its first second, and :func:`ground_truth` lists them with their real (earlier) block and
take-off times. Its ``complete`` column marks the flights whose whole block time (taxi-out to
taxi-in) lies inside the window; only those can be fully reconstructed from the window's data.

Output is a pure function of (config, start, hours): the hourly tables and the ground truth
are identical on every run, however the window is cut (see :mod:`.hashing`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa

from aerolake.refdata.regions import Region
from aerolake.schema import STATE_SCHEMA
from aerolake.sources.simulator.config import SimulatorConfig, as_config
from aerolake.sources.simulator.observation import state_vectors
from aerolake.sources.simulator.reception import candidates_between, observe
from aerolake.sources.simulator.schedule import Schedule

HOUR_S: Final[int] = 3600
#: Largest record batch :func:`simulate_history` yields.
MAX_BATCH_ROWS: Final[int] = 1_000_000
#: Reports processed at once: large enough to amortise numpy calls, small enough for the cache.
CHUNK_ROWS: Final[int] = 65_536

GROUND_TRUTH_SCHEMA: Final[pa.Schema] = pa.schema(
    [
        pa.field("flight_id", pa.string(), nullable=False),  # "<icao24>-<block-off unix s>"
        pa.field("icao24", pa.string(), nullable=False),
        pa.field("callsign", pa.string(), nullable=False),  # trimmed
        pa.field("airline_icao", pa.string(), nullable=False),
        pa.field("origin", pa.string(), nullable=False),  # airport ICAO code
        pa.field("destination", pa.string(), nullable=False),
        pa.field("takeoff_time", pa.timestamp("us", tz="UTC"), nullable=False),  # lift-off
        pa.field("landing_time", pa.timestamp("us", tz="UTC"), nullable=False),  # touch-down
        pa.field("block_off", pa.timestamp("us", tz="UTC"), nullable=False),  # taxi-out starts
        pa.field("block_on", pa.timestamp("us", tz="UTC"), nullable=False),  # taxi-in ends
        pa.field("complete", pa.bool_(), nullable=False),  # block time wholly in the window
    ]
)


@dataclass(frozen=True)
class Window:
    start: int  # unix s, inclusive
    end: int  # unix s, exclusive


def _window(start: dt.datetime, hours: float) -> Window:
    if start.tzinfo is None:
        raise ValueError("start must be a timezone-aware UTC datetime")
    if hours <= 0:
        raise ValueError(f"hours must be positive, got {hours}")
    begin = int(np.ceil(start.timestamp()))
    return Window(begin, begin + round(hours * HOUR_S))


def _hour_table(schedule: Schedule, lo: int, hi: int, source: str) -> pa.Table:
    """Rows with ``time`` in [lo, hi) (within one UTC hour), sorted by time then aircraft.

    Works through the reports in chunks so that numpy's temporaries stay in cache.
    """
    config, fleet = schedule.config, schedule.fleet
    legs = schedule.legs_between(lo - 1, hi)
    leg, k, base, contact = candidates_between(fleet, legs, lo, hi)
    hour = lo - lo % HOUR_S
    batch_id = f"simulator-{config.seed}-{dt.datetime.fromtimestamp(hour, dt.UTC):%Y%m%d%H}"
    ingested_at = dt.datetime.fromtimestamp(hour + HOUR_S, dt.UTC)
    batches = []
    for i in range(0, max(len(leg), 1), CHUNK_ROWS):
        part = slice(i, i + CHUNK_ROWS)
        reports = observe(
            fleet, legs, config.gap_rate, leg[part], k[part], base[part], contact[part]
        )
        batches.append(
            state_vectors(
                fleet,
                legs,
                reports,
                time=np.ceil(reports.contact).astype(np.int64),
                source=source,
                batch_id=batch_id,
                ingested_at=ingested_at,
            )
        )
    return pa.Table.from_batches(batches, schema=STATE_SCHEMA)


def simulate_history_hours(
    config: SimulatorConfig | Region,
    start: dt.datetime,
    hours: float,
    aircraft: int | None = None,
    seed: int | None = None,
) -> Iterator[tuple[dt.datetime, pa.Table]]:
    """One table per UTC hour touched by [start, start + hours), rows sorted by ``time``.

    Each table holds the rows whose ``time`` falls in that hour and in the window (the first
    and last hours are partial when ``start`` is not on the hour). ``ingested_at`` is the end
    of the hour, when OpenSky would publish its file; ``batch_id`` names seed and hour.
    """
    cfg = as_config(config, aircraft, seed)
    window = _window(start, hours)
    schedule = Schedule(cfg)
    hour = window.start - window.start % HOUR_S
    while hour < window.end:
        lo, hi = max(hour, window.start), min(hour + HOUR_S, window.end)
        yield dt.datetime.fromtimestamp(hour, dt.UTC), _hour_table(schedule, lo, hi, "simulator")
        hour += HOUR_S


def simulate_history(
    config: SimulatorConfig | Region,
    start: dt.datetime,
    hours: float,
    aircraft: int | None = None,
    seed: int | None = None,
) -> Iterator[pa.RecordBatch]:
    """The same rows as :func:`simulate_history_hours` as record batches (<= 1M rows each),
    in time order."""
    for _, table in simulate_history_hours(config, start, hours, aircraft, seed):
        yield from table.to_batches(max_chunksize=MAX_BATCH_ROWS)


def ground_truth(
    config: SimulatorConfig | Region,
    start: dt.datetime,
    hours: float,
    aircraft: int | None = None,
    seed: int | None = None,
) -> pa.Table:
    """Every flight whose block time meets [start, start + hours), in block-off order.

    Flights already taxiing or airborne at ``start`` are included with their real times;
    ``complete`` is true when block-off and block-on both lie inside the window.
    """
    cfg = as_config(config, aircraft, seed)
    window = _window(start, hours)
    schedule = Schedule(cfg)
    fleet = schedule.fleet
    legs = schedule.legs_between(window.start, window.end)
    legs = legs.take(np.lexsort((legs.aircraft, legs.block_off)))
    icao = [a.icao for a in fleet.airports]
    ac = pa.array(legs.aircraft, pa.int64())
    icao24 = fleet.icao24.take(ac)

    def stamp(seconds: np.ndarray) -> pa.Array:  # type: ignore[type-arg]
        return pa.array((seconds * 1e6).round().astype("datetime64[us]"), pa.timestamp("us", "UTC"))

    flight_id = [f"{h}-{int(t)}" for h, t in zip(icao24.to_pylist(), legs.block_off, strict=True)]
    return pa.table(
        {
            "flight_id": flight_id,
            "icao24": icao24,
            "callsign": [c.strip() for c in legs.callsign.to_pylist()],
            "airline_icao": fleet.airline_codes().take(ac),
            "origin": [icao[i] for i in legs.origin],
            "destination": [icao[i] for i in legs.destination],
            "takeoff_time": stamp(legs.takeoff),
            "landing_time": stamp(legs.landing),
            "block_off": stamp(legs.block_off),
            "block_on": stamp(legs.block_on),
            "complete": (legs.block_off >= window.start) & (legs.block_on < window.end),
        },
        schema=GROUND_TRUTH_SCHEMA,
    )
