-- Model: dim_aircraft_utilization — the serving table of that name
--   (serving/ddl/dim_aircraft_utilization.sql).
-- Grain: one row per (icao24, date) on which the aircraft started at least one flight.
-- Time column: date = the UTC date of the flights' first_seen (a flight counts whole on the day
--   it started, like fact_flight_history.flight_date).
-- Inputs: view `flights` (gold/flights, FLIGHT_SCHEMA) and view `states` (gold state vectors);
--   `flights` must also hold the day before each date wanted (the previous landing) and
--   `states` the day after (a flight's last point may fall past midnight).
-- Params: max_turnaround_min (minutes).
--
-- airborne_hours sums the flights' airborne time (take-off to landing, from the segmented
--   tracks, not from point counts); utilization_pct = airborne_hours / 24 h * 100.
-- Last reported position: the last point (by time; (icao24, time) is unique) of the day's last
--   flight; its altitude is barometric, else geometric, read from `states`.
-- Turnaround: from a landing to the aircraft's next take-off, counted on the day of that
--   take-off, when both were seen, the stop is positive and at most max_turnaround_min (a longer
--   stop is parked time, e.g. overnight) and, where both airports are known, the aircraft leaves
--   from where it landed (otherwise a flight was missed in between).
-- callsigns / airlines: distinct, sorted, comma-separated. Floats rounded to 1e-6.
WITH legs AS (
    SELECT
        icao24,
        CAST(first_seen AS DATE) AS day,
        first_seen,
        last_seen,
        takeoff_time,
        origin,
        callsign,
        airline_icao,
        registration,
        typecode,
        registration_country,
        airborne_s,
        path_distance_km,
        last_lat,
        last_lon,
        LAG(landing_time) OVER w AS previous_landing,
        LAG(destination) OVER w AS previous_destination
    FROM flights
    WINDOW w AS (PARTITION BY icao24 ORDER BY first_seen)
),

turns AS (
    SELECT
        *,
        CASE
            WHEN takeoff_time IS NOT NULL AND previous_landing IS NOT NULL
                AND EPOCH(takeoff_time) > EPOCH(previous_landing)
                AND EPOCH(takeoff_time) - EPOCH(previous_landing) <= {{ max_turnaround_min }} * 60
                AND (origin IS NULL OR previous_destination IS NULL
                    OR origin = previous_destination)
            THEN (EPOCH(takeoff_time) - EPOCH(previous_landing)) / 60.0
        END AS turnaround_min
    FROM legs
),

days AS (
    SELECT
        icao24,
        day,
        COUNT(*) AS number_of_flights,
        SUM(airborne_s) AS airborne_s,
        SUM(path_distance_km) AS total_distance_km,
        MIN(first_seen) AS first_seen,
        MAX(last_seen) AS last_seen,
        MAX_BY(last_lat, last_seen) AS last_lat,
        MAX_BY(last_lon, last_seen) AS last_lon,
        MAX(registration) AS registration,
        MAX(typecode) AS typecode,
        MAX(registration_country) AS registration_country,
        ARRAY_TO_STRING(LIST_SORT(LIST_DISTINCT(LIST(callsign))), ',') AS callsigns,
        ARRAY_TO_STRING(LIST_SORT(LIST_DISTINCT(LIST(airline_icao))), ',') AS airlines,
        AVG(turnaround_min) AS avg_turnaround_min
    FROM turns
    GROUP BY icao24, day
),

last_points AS (
    SELECT
        s.icao24,
        s.time,
        COALESCE(
            CASE WHEN ABS(s.baroaltitude) <= 1e300 THEN s.baroaltitude END,
            CASE WHEN ABS(s.geoaltitude) <= 1e300 THEN s.geoaltitude END
        ) AS altitude
    FROM states AS s
    INNER JOIN (SELECT DISTINCT icao24, EPOCH(last_seen) AS last_s FROM days) AS d
        ON s.icao24 = d.icao24 AND s.time = d.last_s
)

SELECT
    CAST(d.icao24 AS VARCHAR) AS icao24,
    d.day AS "date",
    CAST(d.registration AS VARCHAR) AS registration,
    CAST(d.typecode AS VARCHAR) AS typecode,
    CAST(d.registration_country AS VARCHAR) AS registration_country,
    CAST(d.number_of_flights AS BIGINT) AS number_of_flights,
    CAST(ROUND(d.airborne_s / 3600.0, 6) AS DOUBLE) AS airborne_hours,
    CAST(ROUND(d.total_distance_km, 6) AS DOUBLE) AS total_distance_km,
    d.first_seen,
    d.last_seen,
    CAST(d.last_lat AS DOUBLE) AS last_lat,
    CAST(d.last_lon AS DOUBLE) AS last_lon,
    CAST(p.altitude AS DOUBLE) AS last_altitude_m,
    CAST(NULLIF(d.callsigns, '') AS VARCHAR) AS callsigns,
    CAST(NULLIF(d.airlines, '') AS VARCHAR) AS airlines,
    CAST(ROUND(d.avg_turnaround_min, 6) AS DOUBLE) AS avg_turnaround_min,
    CAST(ROUND(100.0 * d.airborne_s / 86400.0, 6) AS DOUBLE) AS utilization_pct
FROM days AS d
LEFT JOIN last_points AS p ON d.icao24 = p.icao24 AND EPOCH(d.last_seen) = p.time
