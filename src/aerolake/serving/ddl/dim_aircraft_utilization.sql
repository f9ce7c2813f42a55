-- dim_aircraft_utilization: one row per aircraft per UTC day (grain: icao24, date).
-- Hours and minutes of the UTC day; distances in km; utilization_pct = airborne share of 24 h.
-- callsigns and airlines are comma-separated, sorted, distinct. Incremental: replace by date.
CREATE TABLE dim_aircraft_utilization (
    icao24 TEXT NOT NULL,
    "date" DATE NOT NULL,
    registration TEXT,
    typecode TEXT,
    registration_country TEXT,
    number_of_flights BIGINT NOT NULL,
    airborne_hours DOUBLE PRECISION,
    total_distance_km DOUBLE PRECISION,
    first_seen TIMESTAMPTZ,
    last_seen TIMESTAMPTZ,
    last_lat DOUBLE PRECISION,
    last_lon DOUBLE PRECISION,
    last_altitude_m DOUBLE PRECISION,
    callsigns TEXT,
    airlines TEXT,
    avg_turnaround_min DOUBLE PRECISION,
    utilization_pct DOUBLE PRECISION,
    PRIMARY KEY (icao24, "date")
);
CREATE INDEX dim_aircraft_utilization_date_idx ON dim_aircraft_utilization ("date");
