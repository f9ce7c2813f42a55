-- raw_telemetry: recent silver state vectors for drill-down (grain: icao24, time), capped at
-- AEROLAKE_RAW_TELEMETRY_CAP rows. time is unix seconds, ts the same instant as UTC timestamp.
-- OpenSky units: degrees, metres, m/s. flight_id links to fact_flight_history when known.
CREATE TABLE raw_telemetry (
    flight_id TEXT,
    icao24 TEXT NOT NULL,
    "time" BIGINT NOT NULL,
    ts TIMESTAMPTZ NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    baroaltitude DOUBLE PRECISION,
    geoaltitude DOUBLE PRECISION,
    velocity DOUBLE PRECISION,
    heading DOUBLE PRECISION,
    vertrate DOUBLE PRECISION,
    callsign TEXT,
    onground BOOLEAN,
    squawk TEXT,
    airline_icao TEXT,
    airline_name TEXT,
    registration_country TEXT,
    data_source TEXT,
    PRIMARY KEY (icao24, "time")
);
CREATE INDEX raw_telemetry_flight_id_idx ON raw_telemetry (flight_id);
CREATE INDEX raw_telemetry_ts_idx ON raw_telemetry (ts);
