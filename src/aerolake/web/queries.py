"""Every SQL statement the web API runs, in one place. Read-only; DuckDB and PostgreSQL.

Parameters are always bound (``$1`` ...), never formatted in. Optional filters are written
``(CAST($n AS T) IS NULL OR col = CAST($n AS T))`` so one static statement serves every
combination (the casts let PostgreSQL type a NULL parameter). Sort orders are chosen from
fixed statements keyed by name, so no user text reaches the SQL.
"""

from __future__ import annotations

from typing import Final

_FLIGHT_FILTER: Final[str] = """
WHERE (CAST($1 AS DATE) IS NULL OR flight_date = CAST($1 AS DATE))
  AND (CAST($2 AS DATE) IS NULL OR flight_date >= CAST($2 AS DATE))
  AND (CAST($3 AS DATE) IS NULL OR flight_date <= CAST($3 AS DATE))
  AND (CAST($4 AS TEXT) IS NULL OR callsign LIKE CAST($4 AS TEXT))
  AND (CAST($5 AS TEXT) IS NULL OR icao24 = CAST($5 AS TEXT))
  AND (CAST($6 AS TEXT) IS NULL OR airline_icao = CAST($6 AS TEXT))
  AND (CAST($7 AS TEXT) IS NULL OR origin_icao = CAST($7 AS TEXT))
  AND (CAST($8 AS TEXT) IS NULL OR destination_icao = CAST($8 AS TEXT))
"""

#: Params: date, from, to, callsign prefix pattern, icao24, airline, origin, destination.
FLIGHTS_COUNT: Final[str] = "SELECT count(*) AS total FROM fact_flight_history" + _FLIGHT_FILTER

#: Params: the eight filters, then limit ($9) and offset ($10).
FLIGHTS_PAGE: Final[str] = (
    "SELECT * FROM fact_flight_history"
    + _FLIGHT_FILTER
    + "ORDER BY first_seen DESC, flight_id LIMIT $9 OFFSET $10"
)

FLIGHT: Final[str] = "SELECT * FROM fact_flight_history WHERE flight_id = $1"

#: A flight's sampled positions: [time, lat, lon, altitude m] ordered by time; $2 caps rows.
FLIGHT_TRACK: Final[str] = """
SELECT "time", lat, lon, COALESCE(baroaltitude, geoaltitude) AS altitude
FROM raw_telemetry
WHERE flight_id = $1 AND lat IS NOT NULL AND lon IS NOT NULL
ORDER BY "time"
LIMIT $2
"""

_ROUTE_ORDERS: Final[dict[str, str]] = {
    "flights": "total_flights DESC",
    "flights_per_day": "flights_per_day DESC NULLS LAST",
    "duration": "avg_flight_time_min DESC NULLS LAST",
    "distance": "great_circle_km DESC NULLS LAST",
    "airlines": "distinct_airlines DESC NULLS LAST",
    "route": "route ASC",
}

#: Route rows by sort name; one parameter, the limit.
ROUTES: Final[dict[str, str]] = {
    name: f"SELECT * FROM dim_route_analytics ORDER BY {order}, route LIMIT $1"
    for name, order in _ROUTE_ORDERS.items()
}

AIRCRAFT_UTILIZATION: Final[str] = """
SELECT * FROM dim_aircraft_utilization WHERE icao24 = $1 ORDER BY "date" DESC LIMIT $2
"""

AIRCRAFT_FLIGHTS: Final[str] = """
SELECT * FROM fact_flight_history WHERE icao24 = $1 ORDER BY first_seen DESC LIMIT $2
"""

#: Params: date, hour (NULL for every hour), limit.
HEATMAP_DAY: Final[str] = """
SELECT * FROM dim_airspace_heatmap
WHERE "date" = CAST($1 AS DATE) AND (CAST($2 AS INTEGER) IS NULL OR hour_utc = CAST($2 AS INTEGER))
ORDER BY hour_utc, cell_lat, cell_lon
LIMIT $3
"""

#: Params: hour (NULL for every hour), limit.
HEATMAP_PROFILE: Final[str] = """
SELECT * FROM dim_airspace_hourly_profile
WHERE CAST($1 AS INTEGER) IS NULL OR hour_utc = CAST($1 AS INTEGER)
ORDER BY hour_utc, cell_lat, cell_lon
LIMIT $2
"""

OVERVIEW_TOTALS: Final[str] = """
SELECT count(*) AS flights,
       count(DISTINCT icao24) AS aircraft,
       count(DISTINCT airline_icao) AS airlines,
       count(DISTINCT route) AS routes,
       min(flight_date) AS first_date,
       max(flight_date) AS last_date,
       sum(path_distance_km) AS distance_km,
       sum(duration_h) AS flight_hours
FROM fact_flight_history
"""

OVERVIEW_BY_DAY: Final[str] = """
SELECT flight_date, count(*) AS flights, count(DISTINCT icao24) AS aircraft
FROM fact_flight_history GROUP BY flight_date ORDER BY flight_date
"""

OVERVIEW_ROUTES: Final[str] = """
SELECT route, origin_icao, destination_icao, origin_name, destination_name, total_flights,
       flights_per_day, avg_flight_time_min
FROM dim_route_analytics ORDER BY total_flights DESC, route LIMIT $1
"""

OVERVIEW_AIRPORTS: Final[str] = """
SELECT airport, max(name) AS name,
       CAST(sum(departures) AS BIGINT) AS departures,
       CAST(sum(arrivals) AS BIGINT) AS arrivals,
       CAST(sum(departures) + sum(arrivals) AS BIGINT) AS movements
FROM (
    SELECT origin_icao AS airport, origin_name AS name, count(*) AS departures, 0 AS arrivals
    FROM fact_flight_history WHERE origin_known GROUP BY origin_icao, origin_name
    UNION ALL
    SELECT destination_icao, destination_name, 0, count(*)
    FROM fact_flight_history WHERE destination_known GROUP BY destination_icao, destination_name
) AS moves
GROUP BY airport
ORDER BY movements DESC, airport
LIMIT $1
"""

OVERVIEW_AIRLINES: Final[str] = """
SELECT airline_icao, max(airline_name) AS airline_name, count(*) AS flights,
       count(DISTINCT icao24) AS aircraft
FROM fact_flight_history WHERE airline_icao IS NOT NULL
GROUP BY airline_icao ORDER BY flights DESC, airline_icao LIMIT $1
"""

RUNS: Final[str] = """
SELECT run_id, kind, "trigger", started_at, ended_at, status, error
FROM pipeline_runs ORDER BY started_at DESC, run_id DESC LIMIT $1
"""

RUN: Final[str] = """
SELECT run_id, kind, "trigger", started_at, ended_at, status, error, settings_json
FROM pipeline_runs WHERE run_id = $1
"""

RUN_TASKS: Final[str] = "SELECT * FROM task_runs WHERE run_id = $1 ORDER BY started_at, task"

RUN_HEALTH: Final[str] = """
SELECT * FROM health_checks WHERE run_id = $1 ORDER BY checked_at, check_name
"""
