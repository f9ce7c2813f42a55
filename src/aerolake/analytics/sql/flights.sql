-- Model: flights — gold/flights, one row per flight (aerolake.analytics.flights_schema).
-- Grain: one row per flight (flight_id = '<icao24>-<first point as YYYYMMDDTHHMMSSZ>').
-- Time column: first_seen (UTC); a flight belongs to the window of its first point.
-- Inputs: model flight_segments (same params); fragments and ground-only segments left out.
-- depends: flight_segments
SELECT
    flight_id, icao24, callsign, airline_icao, airline_name, registration,
    registration_country, typecode, origin_country, first_seen, last_seen, takeoff_time,
    landing_time, duration_s, points, origin, origin_reason, origin_distance_km, destination,
    destination_reason, destination_distance_km, first_lat, first_lon, last_lat, last_lon,
    path_distance_km, great_circle_km, baroaltitude_min, baroaltitude_max, baroaltitude_avg,
    geoaltitude_min, geoaltitude_max, geoaltitude_avg, cruise_altitude, velocity_min,
    velocity_max, velocity_avg, velocity_stddev, max_climb_rate, max_descent_rate, track_mean,
    lat_min, lat_max, lon_min, lon_max, onground_s, airborne_s, below_3km_s, between_3_9km_s,
    above_9km_s, unique_squawk_codes, emergency_squawk, emergency_squawks, alert_count,
    spi_count, data_source
FROM flight_segments
WHERE segment_kind = 'flight'
ORDER BY icao24, first_seen
