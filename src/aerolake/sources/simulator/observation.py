"""Heard reports as OpenSky state vectors: measurement noise, squawks and Arrow columns.

Noise is what ADS-B receivers show: positions within a few tens of metres, barometric
altitude in 25 ft steps (within +-8 m of the truth), geometric altitude above the barometric
one by a leg-specific offset that grows with height, vertical rate in 64 ft/min steps.
Surface reports carry no altitude or vertical rate (null), as in OpenSky. Squawk 7700/7600
replaces the flight's code from the emergency onward; ``alert`` is raised for a minute after
that change and very rarely otherwise, ``spi`` (ident) very rarely. Noise is counter-based,
so the same report always reads the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from aerolake.schema import OPENSKY_COLUMNS
from aerolake.sources.base import with_provenance
from aerolake.sources.simulator import hashing
from aerolake.sources.simulator.fleet import Fleet
from aerolake.sources.simulator.kinematics import CRUISE, EARTH_RADIUS_M, FEET
from aerolake.sources.simulator.legs import EMERGENCY_SQUAWKS, Legs
from aerolake.sources.simulator.reception import Reports

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

POSITION_NOISE_M: Final[float] = 15.0  # half-width of each triangular component
BARO_STEP_M: Final[float] = 25 * FEET
VERTRATE_STEP: Final[float] = 64 * FEET / 60
SPI_RATE: Final[float] = 5e-4
ALERT_RATE: Final[float] = 2e-4
ALERT_AFTER_CHANGE_S: Final[float] = 60.0
CH_POSITION, CH_ALTITUDE, CH_MOTION, CH_FLAGS = 10, 11, 12, 13


def _tri(a: F64, b: F64) -> F64:
    """Triangular noise in (-1, 1) from two uniforms."""
    return a + b - 1.0


def state_vectors(
    fleet: Fleet,
    legs: Legs,
    r: Reports,
    *,
    time: I64,
    source: str,
    batch_id: str,
    ingested_at: dt.datetime,
) -> pa.RecordBatch:
    """Reports as a record batch in :data:`aerolake.schema.STATE_SCHEMA` (row order kept)."""
    leg, s = r.leg, r.state
    ac = legs.aircraft[leg]
    base = r.base
    n1, n2, n3, n4 = hashing.quarters(hashing.channel(base, CH_POSITION))
    a1, a2, a3, a4 = hashing.quarters(hashing.channel(base, CH_ALTITUDE))
    m1, m2, m3, m4 = hashing.quarters(hashing.channel(base, CH_MOTION))
    f1, f2, f3, f4 = hashing.quarters(hashing.channel(base, CH_FLAGS))

    north = _tri(n1, n2) * POSITION_NOISE_M
    east = _tri(n3, n4) * POSITION_NOISE_M
    lat = s.lat + np.degrees(north / EARTH_RADIUS_M)
    lon = s.lon + np.degrees(east / (EARTH_RADIUS_M * np.cos(np.radians(s.lat))))
    ground = s.onground
    near = np.where(s.phase <= CRUISE, legs.origin[leg], legs.destination[leg])
    agl = s.altitude - fleet.airport_elev[near]
    baro = np.round((s.altitude + 3.5 * _tri(a1, a2)) / BARO_STEP_M) * BARO_STEP_M
    geo = (
        s.altitude
        + legs.geo_offset_m[leg] * np.clip(agl / 11_000.0, 0.0, 1.0)
        + 10.0 * _tri(a3, a4)
    )
    velocity = np.maximum(s.velocity + 0.8 * _tri(m1, m2), 0.0)
    heading = np.mod(s.track + np.where(ground, 3.0, 0.6) * _tri(m3, m4), 360.0)
    vertrate = np.round((s.vertrate + 0.4 * _tri(f3, f4)) / VERTRATE_STEP) * VERTRATE_STEP + 0.0

    since = r.position_time - legs.block_off[leg] - legs.emergency_from_s[leg]
    emergency = (legs.emergency[leg] > 0) & (since >= 0)
    squawks = pa.concat_arrays([legs.squawk, pa.array(EMERGENCY_SQUAWKS, pa.string())])
    squawk_idx = np.where(emergency, len(legs) + legs.emergency[leg] - 1, leg)
    alert = (emergency & (since < ALERT_AFTER_CHANGE_S)) | (f1 < ALERT_RATE)
    ac_idx = pa.array(ac, pa.int64())
    columns: dict[str, pa.Array] = {
        "time": pa.array(time, pa.int64()),
        "icao24": fleet.icao24.take(ac_idx),
        "lat": pa.array(lat),
        "lon": pa.array(lon),
        "velocity": pa.array(velocity),
        "heading": pa.array(heading),
        "vertrate": pa.array(vertrate, mask=ground),
        "callsign": legs.callsign.take(pa.array(leg, pa.int64())),
        "onground": pa.array(ground),
        "alert": pa.array(alert),
        "spi": pa.array(f2 < SPI_RATE),
        "squawk": squawks.take(pa.array(squawk_idx, pa.int64())),
        "baroaltitude": pa.array(baro, mask=ground),
        "geoaltitude": pa.array(geo, mask=ground),
        "lastposupdate": pa.array(r.position_time),
        "lastcontact": pa.array(r.contact),
    }
    batch = pa.RecordBatch.from_arrays(
        [columns[c] for c in OPENSKY_COLUMNS], names=list(OPENSKY_COLUMNS)
    )
    return with_provenance(
        batch,
        source=source,
        batch_id=batch_id,
        ingested_at=ingested_at,
        origin_country=fleet.origin_country.take(ac_idx),
    )
