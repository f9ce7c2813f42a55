-- Model: fact_flight_history — the serving table of that name (serving/ddl/fact_flight_history.sql).
-- Grain: one row per segmented flight (flight_id), as in gold/flights.
-- Time column: flight_date, the UTC date of first_seen (= the gold/flights partition date).
-- Inputs: view `flights` (gold/flights, aerolake.analytics.flights_schema.FLIGHT_SCHEMA) and
--   view `airports` (aerolake.refdata.airports.AIRPORT_SCHEMA).
-- Params: unknown_airport (text) — the placeholder for an unknown end in `route`.
--
-- The metrics come from segmentation (see aerolake/analytics/segment.py); this model renames them
-- to the serving vocabulary (units in the names), adds the airports' IATA code, name and city,
-- the route and the duration in minutes and hours. `route` is 'ORIG-DEST'; an unknown end is
-- written as unknown_airport ('VIDP-UNKNOWN'); NULL when both ends are unknown (an overflight
-- or a track seen only in the air), which dim_route_analytics leaves out. route_efficiency is
-- great circle (airport to airport) / flown path, NULL when either is unknown or the path is 0.
-- Floats are rounded to 1e-6 so the output does not depend on aggregation order.
SELECT
    CAST(f.flight_id AS VARCHAR) AS flight_id,
    CAST(f.icao24 AS VARCHAR) AS icao24,
    CAST(f.callsign AS VARCHAR) AS callsign,
    CAST(f.airline_icao AS VARCHAR) AS airline_icao,
    CAST(f.airline_name AS VARCHAR) AS airline_name,
    CAST(f.registration_country AS VARCHAR) AS registration_country,
    CAST(f.registration AS VARCHAR) AS registration,
    CAST(f.typecode AS VARCHAR) AS typecode,
    CAST(f.origin AS VARCHAR) AS origin_icao,
    CAST(o.iata AS VARCHAR) AS origin_iata,
    CAST(o.name AS VARCHAR) AS origin_name,
    CAST(o.city AS VARCHAR) AS origin_city,
    CAST(f.destination AS VARCHAR) AS destination_icao,
    CAST(d.iata AS VARCHAR) AS destination_iata,
    CAST(d.name AS VARCHAR) AS destination_name,
    CAST(d.city AS VARCHAR) AS destination_city,
    CAST(CASE WHEN f.origin IS NOT NULL OR f.destination IS NOT NULL THEN
        COALESCE(f.origin, {{ unknown_airport }}) || '-'
        || COALESCE(f.destination, {{ unknown_airport }})
    END AS VARCHAR) AS route,
    CAST(f.first_seen AS DATE) AS flight_date,
    f.first_seen,
    f.last_seen,
    f.takeoff_time,
    f.landing_time,
    CAST(f.duration_s AS DOUBLE) AS duration_s,
    CAST(ROUND(f.duration_s / 60.0, 6) AS DOUBLE) AS duration_min,
    CAST(ROUND(f.duration_s / 3600.0, 6) AS DOUBLE) AS duration_h,
    CAST(f.airborne_s AS DOUBLE) AS airborne_seconds,
    CAST(f.onground_s AS DOUBLE) AS on_ground_seconds,
    CAST(f.points AS BIGINT) AS total_data_points,
    CAST(f.path_distance_km AS DOUBLE) AS path_distance_km,
    CAST(f.great_circle_km AS DOUBLE) AS great_circle_km,
    CAST(CASE WHEN f.path_distance_km > 0 THEN
        ROUND(f.great_circle_km / f.path_distance_km, 6)
    END AS DOUBLE) AS route_efficiency,
    CAST(f.baroaltitude_min AS DOUBLE) AS min_baro_altitude_m,
    CAST(f.baroaltitude_max AS DOUBLE) AS max_baro_altitude_m,
    CAST(f.baroaltitude_avg AS DOUBLE) AS avg_baro_altitude_m,
    CAST(f.geoaltitude_min AS DOUBLE) AS min_geo_altitude_m,
    CAST(f.geoaltitude_max AS DOUBLE) AS max_geo_altitude_m,
    CAST(f.geoaltitude_avg AS DOUBLE) AS avg_geo_altitude_m,
    CAST(f.cruise_altitude AS DOUBLE) AS cruise_altitude_m,
    CAST(f.velocity_min AS DOUBLE) AS min_velocity_ms,
    CAST(f.velocity_max AS DOUBLE) AS max_velocity_ms,
    CAST(f.velocity_avg AS DOUBLE) AS avg_velocity_ms,
    CAST(f.velocity_stddev AS DOUBLE) AS stddev_velocity_ms,
    CAST(f.max_climb_rate AS DOUBLE) AS max_climb_rate_ms,
    CAST(f.max_descent_rate AS DOUBLE) AS max_descent_rate_ms,
    CAST(f.track_mean AS DOUBLE) AS avg_track_deg,
    CAST(f.lat_min AS DOUBLE) AS min_lat,
    CAST(f.lat_max AS DOUBLE) AS max_lat,
    CAST(f.lon_min AS DOUBLE) AS min_lon,
    CAST(f.lon_max AS DOUBLE) AS max_lon,
    CAST(f.unique_squawk_codes AS INTEGER) AS unique_squawk_codes,
    CAST(f.emergency_squawk AS BOOLEAN) AS emergency_squawk,
    CAST(f.alert_count AS BIGINT) AS alert_count,
    CAST(f.spi_count AS BIGINT) AS spi_count,
    CAST(f.below_3km_s AS DOUBLE) AS seconds_below_3km,
    CAST(f.between_3_9km_s AS DOUBLE) AS seconds_3_to_9km,
    CAST(f.above_9km_s AS DOUBLE) AS seconds_above_9km,
    CAST(f.data_source AS VARCHAR) AS data_source,
    CAST(f.origin IS NOT NULL AS BOOLEAN) AS origin_known,
    CAST(f.destination IS NOT NULL AS BOOLEAN) AS destination_known,
    CAST(f.origin_reason AS VARCHAR) AS origin_reason,
    CAST(f.destination_reason AS VARCHAR) AS destination_reason
FROM flights AS f
LEFT JOIN airports AS o ON f.origin = o.icao
LEFT JOIN airports AS d ON f.destination = d.icao
