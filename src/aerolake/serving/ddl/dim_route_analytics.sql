-- dim_route_analytics: one row per directed airport pair (grain: origin_icao, destination_icao),
-- over all flights in fact_flight_history. Times in minutes, distances in km, UTC hours/dates.
-- Flights with an unknown end airport are grouped under the model's placeholder code, never NULL.
CREATE TABLE dim_route_analytics (
    route TEXT NOT NULL,
    origin_icao TEXT NOT NULL,
    destination_icao TEXT NOT NULL,
    origin_name TEXT,
    destination_name TEXT,
    total_flights BIGINT NOT NULL,
    flights_per_day DOUBLE PRECISION,
    distinct_airlines BIGINT,
    distinct_aircraft BIGINT,
    avg_flight_time_min DOUBLE PRECISION,
    median_flight_time_min DOUBLE PRECISION,
    p90_flight_time_min DOUBLE PRECISION,
    avg_path_distance_km DOUBLE PRECISION,
    great_circle_km DOUBLE PRECISION,
    avg_cruise_altitude_m DOUBLE PRECISION,
    avg_max_velocity_ms DOUBLE PRECISION,
    on_ground_percentage DOUBLE PRECISION,
    busiest_hour_utc INTEGER,
    first_flight_date DATE,
    last_flight_date DATE,
    PRIMARY KEY (origin_icao, destination_icao)
);
CREATE INDEX dim_route_analytics_route_idx ON dim_route_analytics (route);
