"""The gold ``flights`` table: one row per flight, the schema the SQL models must produce.

Units are the state vector's (SI): metres, m/s, degrees; distances in km; durations in whole
seconds; times are UTC timestamps. ``flight_id`` is ``'<icao24>-<YYYYMMDDTHHMMSSZ>'`` of the
flight's first point, so a re-run produces the same ids. Interval sums (``onground_s`` and the
altitude bands) give each interval between two consecutive points of the flight to the state of
its first point; the bands count airborne time only, by barometric altitude (else geometric).
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

_TS = pa.timestamp("us", tz="UTC")


def _f(name: str, type_: pa.DataType, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable)


FLIGHT_SCHEMA: Final[pa.Schema] = pa.schema(
    [
        _f("flight_id", pa.string(), False),
        _f("icao24", pa.string(), False),
        _f("callsign", pa.string()),  # the last non-empty callsign of the flight
        _f("airline_icao", pa.string()),
        _f("airline_name", pa.string()),
        _f("registration", pa.string()),
        _f("registration_country", pa.string()),
        _f("typecode", pa.string()),
        _f("origin_country", pa.string()),  # OpenSky's, from the ICAO address
        _f("first_seen", _TS, False),
        _f("last_seen", _TS, False),
        _f("takeoff_time", _TS),  # null when the origin is unknown and no take-off was seen
        _f("landing_time", _TS),
        _f("duration_s", pa.int64(), False),  # last_seen - first_seen
        _f("points", pa.int64(), False),
        _f("origin", pa.string()),  # ICAO code
        _f(
            "origin_reason", pa.string()
        ),  # why origin is null: entered_airborne, no_airport_within_10km
        _f("origin_distance_km", pa.float64()),  # take-off (or first) point to the origin airport
        _f("destination", pa.string()),
        _f("destination_reason", pa.string()),  # left_airborne, no_airport_within_10km
        _f("destination_distance_km", pa.float64()),
        _f("first_lat", pa.float64()),
        _f("first_lon", pa.float64()),
        _f("last_lat", pa.float64()),
        _f("last_lon", pa.float64()),
        _f("path_distance_km", pa.float64(), False),  # haversine over consecutive points
        _f("great_circle_km", pa.float64()),  # origin airport -> destination airport
        _f("baroaltitude_min", pa.float64()),
        _f("baroaltitude_max", pa.float64()),
        _f("baroaltitude_avg", pa.float64()),
        _f("geoaltitude_min", pa.float64()),
        _f("geoaltitude_max", pa.float64()),
        _f("geoaltitude_avg", pa.float64()),
        _f("cruise_altitude", pa.float64()),  # mean baro altitude of level airborne points > 5 km
        _f("velocity_min", pa.float64()),
        _f("velocity_max", pa.float64()),
        _f("velocity_avg", pa.float64()),
        _f("velocity_stddev", pa.float64()),
        _f("max_climb_rate", pa.float64()),  # m/s, >= 0
        _f("max_descent_rate", pa.float64()),  # m/s, >= 0 (a magnitude)
        _f("track_mean", pa.float64()),  # circular mean of the track angle, [0, 360)
        _f("lat_min", pa.float64()),
        _f("lat_max", pa.float64()),
        _f("lon_min", pa.float64()),
        _f("lon_max", pa.float64()),
        _f("onground_s", pa.int64(), False),
        _f("airborne_s", pa.int64(), False),  # onground_s + airborne_s == duration_s
        _f("below_3km_s", pa.int64(), False),
        _f("between_3_9km_s", pa.int64(), False),
        _f("above_9km_s", pa.int64(), False),
        _f("unique_squawk_codes", pa.int64(), False),  # distinct non-null squawks
        _f("emergency_squawk", pa.bool_(), False),  # 7500, 7600 or 7700 seen
        _f("emergency_squawks", pa.string()),  # e.g. '7700' or '7500,7700'
        _f("alert_count", pa.int64(), False),
        _f("spi_count", pa.int64(), False),
        _f("data_source", pa.string(), False),  # 'batch' or 'speed'
    ]
)


def empty_flights() -> pa.Table:
    return FLIGHT_SCHEMA.empty_table()
