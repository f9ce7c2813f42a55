-- Model: dim_route_analytics — the serving table of that name (serving/ddl/dim_route_analytics.sql).
-- Grain: one row per directed airport pair (origin_icao, destination_icao), over all flights.
-- Time column: none (all dates); first_flight_date / last_flight_date bound the flights (UTC).
-- Inputs: model fact_flight_history (views `flights`, `airports`). Params: unknown_airport.
--
-- Unknown ends: a flight with one unknown end airport counts under the placeholder
--   unknown_airport for that end ('VIDP-UNKNOWN': flights from VIDP whose destination was not
--   seen), so one known airport's traffic stays apart from another's. Flights with both ends
--   unknown (overflights, tracks seen only in the air) belong to no route and are left out; they
--   stay in fact_flight_history with route NULL, where the load counts them
--   (task metric flights_without_route).
-- Definitions: flight time = airborne time (take-off to landing) in minutes; median and p90 are
--   continuous quantiles; flights_per_day = total_flights / days observed (distinct flight dates
--   over all flights, not only this route's); distinct_airlines counts ICAO airline designators
--   (not callsigns); great_circle_km is airport to airport (NULL for a placeholder end);
--   on_ground_percentage = ground time / (first to last point) over the route's flights;
--   busiest_hour_utc = the UTC hour of take-off (first point when unseen) with most flights,
--   the earliest hour on a tie. Floats rounded to 1e-6 (order-independent output).
-- depends: fact_flight_history
WITH observed AS (
    SELECT COUNT(DISTINCT flight_date) AS days FROM fact_flight_history
),

routed AS (
    SELECT
        COALESCE(origin_icao, {{ unknown_airport }}) AS origin_code,
        COALESCE(destination_icao, {{ unknown_airport }}) AS destination_code,
        route,
        origin_name,
        destination_name,
        flight_date,
        icao24,
        airline_icao,
        airborne_seconds / 60.0 AS flight_time_min,
        duration_s,
        on_ground_seconds,
        path_distance_km,
        great_circle_km,
        cruise_altitude_m,
        max_velocity_ms,
        CAST(EXTRACT(HOUR FROM COALESCE(takeoff_time, first_seen)) AS INTEGER) AS departure_hour
    FROM fact_flight_history
    WHERE origin_icao IS NOT NULL OR destination_icao IS NOT NULL
),

hours AS (
    SELECT origin_code, destination_code, departure_hour, COUNT(*) AS flights
    FROM routed
    GROUP BY origin_code, destination_code, departure_hour
),

busiest AS (
    SELECT origin_code, destination_code, departure_hour
    FROM (
        SELECT
            *,
            ROW_NUMBER() OVER (
                PARTITION BY origin_code, destination_code ORDER BY flights DESC, departure_hour
            ) AS rank
        FROM hours
    ) AS ranked
    WHERE rank = 1
),

routes AS (
    SELECT
        origin_code,
        destination_code,
        MAX(route) AS route,
        MAX(origin_name) AS origin_name,
        MAX(destination_name) AS destination_name,
        COUNT(*) AS total_flights,
        COUNT(DISTINCT airline_icao) AS distinct_airlines,
        COUNT(DISTINCT icao24) AS distinct_aircraft,
        AVG(flight_time_min) AS avg_flight_time_min,
        QUANTILE_CONT(flight_time_min, 0.5) AS median_flight_time_min,
        QUANTILE_CONT(flight_time_min, 0.9) AS p90_flight_time_min,
        AVG(path_distance_km) AS avg_path_distance_km,
        MAX(great_circle_km) AS great_circle_km,
        AVG(cruise_altitude_m) AS avg_cruise_altitude_m,
        AVG(max_velocity_ms) AS avg_max_velocity_ms,
        100.0 * SUM(on_ground_seconds) / NULLIF(SUM(duration_s), 0) AS on_ground_percentage,
        MIN(flight_date) AS first_flight_date,
        MAX(flight_date) AS last_flight_date
    FROM routed
    GROUP BY origin_code, destination_code
)

SELECT
    CAST(r.route AS VARCHAR) AS route,
    CAST(r.origin_code AS VARCHAR) AS origin_icao,
    CAST(r.destination_code AS VARCHAR) AS destination_icao,
    CAST(r.origin_name AS VARCHAR) AS origin_name,
    CAST(r.destination_name AS VARCHAR) AS destination_name,
    CAST(r.total_flights AS BIGINT) AS total_flights,
    CAST(ROUND(r.total_flights / CAST(NULLIF(o.days, 0) AS DOUBLE), 6) AS DOUBLE)
        AS flights_per_day,
    CAST(r.distinct_airlines AS BIGINT) AS distinct_airlines,
    CAST(r.distinct_aircraft AS BIGINT) AS distinct_aircraft,
    CAST(ROUND(r.avg_flight_time_min, 6) AS DOUBLE) AS avg_flight_time_min,
    CAST(ROUND(r.median_flight_time_min, 6) AS DOUBLE) AS median_flight_time_min,
    CAST(ROUND(r.p90_flight_time_min, 6) AS DOUBLE) AS p90_flight_time_min,
    CAST(ROUND(r.avg_path_distance_km, 6) AS DOUBLE) AS avg_path_distance_km,
    CAST(ROUND(r.great_circle_km, 6) AS DOUBLE) AS great_circle_km,
    CAST(ROUND(r.avg_cruise_altitude_m, 6) AS DOUBLE) AS avg_cruise_altitude_m,
    CAST(ROUND(r.avg_max_velocity_ms, 6) AS DOUBLE) AS avg_max_velocity_ms,
    CAST(ROUND(r.on_ground_percentage, 6) AS DOUBLE) AS on_ground_percentage,
    CAST(b.departure_hour AS INTEGER) AS busiest_hour_utc,
    r.first_flight_date,
    r.last_flight_date
FROM routes AS r
CROSS JOIN observed AS o
INNER JOIN busiest AS b
    ON r.origin_code = b.origin_code AND r.destination_code = b.destination_code
