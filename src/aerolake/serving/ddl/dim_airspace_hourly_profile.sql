-- dim_airspace_hourly_profile: the heatmap folded over all days (grain: hour_utc, cell_lat,
-- cell_lon): a typical day's traffic per UTC hour of day. days = distinct dates contributing;
-- distinct_aircraft_avg = mean per-day distinct aircraft. Degrees, metres, m/s.
CREATE TABLE dim_airspace_hourly_profile (
    hour_utc INTEGER NOT NULL,
    cell_lat DOUBLE PRECISION NOT NULL,
    cell_lon DOUBLE PRECISION NOT NULL,
    center_lat DOUBLE PRECISION,
    center_lon DOUBLE PRECISION,
    days BIGINT,
    distinct_aircraft_avg DOUBLE PRECISION,
    data_points BIGINT,
    avg_altitude_m DOUBLE PRECISION,
    avg_velocity_ms DOUBLE PRECISION,
    PRIMARY KEY (hour_utc, cell_lat, cell_lon)
);
