-- dim_airspace_heatmap: traffic density per grid cell per UTC hour (grain: date, hour_utc,
-- cell_lat, cell_lon). cell_lat/cell_lon are the cell's south-west corner in degrees; center_*
-- its centre. Speeds in m/s, altitudes in metres. Incremental: replace by date.
CREATE TABLE dim_airspace_heatmap (
    "date" DATE NOT NULL,
    hour_utc INTEGER NOT NULL,
    cell_lat DOUBLE PRECISION NOT NULL,
    cell_lon DOUBLE PRECISION NOT NULL,
    center_lat DOUBLE PRECISION,
    center_lon DOUBLE PRECISION,
    distinct_aircraft BIGINT,
    data_points BIGINT,
    avg_altitude_m DOUBLE PRECISION,
    avg_velocity_ms DOUBLE PRECISION,
    velocity_stddev_ms DOUBLE PRECISION,
    PRIMARY KEY ("date", hour_utc, cell_lat, cell_lon)
);
CREATE INDEX dim_airspace_heatmap_date_idx ON dim_airspace_heatmap ("date");
