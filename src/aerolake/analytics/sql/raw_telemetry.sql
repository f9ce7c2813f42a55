-- Model: raw_telemetry — the serving table of that name (serving/ddl/raw_telemetry.sql): enriched
--   state vectors of a deterministic sample of whole flights, at most `cap` rows.
-- Grain: one row per state vector (icao24, time) of a sampled flight.
-- Time column: time (unix s) and ts (the same instant, UTC).
-- Inputs: view `flights` (gold/flights, FLIGHT_SCHEMA) and view `states` (gold state vectors,
--   GOLD_STATE_SCHEMA; every date the sampled flights touch). Params: cap (rows).
--
-- Sample: flights in order of MD5(flight_id) (hex text, so the order is a pseudo-random but
--   fixed shuffle, identical in DuckDB and Spark, unlike their HASH functions), taken whole
--   while the running total of their points stays <= cap; the first flight that does not fit
--   ends the sample. A flight's points are its non-stale states from first_seen to last_seen
--   (flights of one aircraft never overlap). The cap is enforced twice: on gold's point counts
--   to choose candidates, then on the points actually found, so the result is <= cap even if
--   gold state vectors changed after the flights were segmented.
WITH ranked AS (
    SELECT
        flight_id,
        icao24,
        CAST(EPOCH(first_seen) AS BIGINT) AS first_s,
        CAST(EPOCH(last_seen) AS BIGINT) AS last_s,
        SUM(points) OVER (
            ORDER BY MD5(flight_id), flight_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS running_points
    FROM flights
),

candidates AS (
    SELECT flight_id, icao24, first_s, last_s FROM ranked WHERE running_points <= {{ cap }}
),

-- Each candidate once per UTC hour it touches, so the points join on an equality.
candidate_hours AS (
    SELECT c.flight_id, c.icao24, c.first_s, c.last_s, h.hour
    FROM candidates AS c
    CROSS JOIN UNNEST(GENERATE_SERIES(
        CAST(FLOOR(c.first_s / 3600.0) AS BIGINT), CAST(FLOOR(c.last_s / 3600.0) AS BIGINT)
    )) AS h(hour)
),

pts AS (
    SELECT c.flight_id, s.*
    FROM states AS s
    INNER JOIN candidate_hours AS c
        ON s.icao24 = c.icao24
        AND CAST(FLOOR(s.time / 3600.0) AS BIGINT) = c.hour
        AND s.time >= c.first_s
        AND s.time <= c.last_s
    WHERE NOT COALESCE(s.stale, FALSE)
),

found AS (
    SELECT
        flight_id,
        SUM(points) OVER (
            ORDER BY MD5(flight_id), flight_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS running_points
    FROM (SELECT flight_id, COUNT(*) AS points FROM pts GROUP BY flight_id) AS counted
),

kept AS (
    SELECT flight_id FROM found WHERE running_points <= {{ cap }}
)

SELECT
    CAST(p.flight_id AS VARCHAR) AS flight_id,
    CAST(p.icao24 AS VARCHAR) AS icao24,
    CAST(p.time AS BIGINT) AS "time",
    CAST(TO_TIMESTAMP(p.time) AS TIMESTAMPTZ) AS ts,
    CAST(p.lat AS DOUBLE) AS lat,
    CAST(p.lon AS DOUBLE) AS lon,
    CAST(p.baroaltitude AS DOUBLE) AS baroaltitude,
    CAST(p.geoaltitude AS DOUBLE) AS geoaltitude,
    CAST(p.velocity AS DOUBLE) AS velocity,
    CAST(p.heading AS DOUBLE) AS heading,
    CAST(p.vertrate AS DOUBLE) AS vertrate,
    CAST(p.callsign AS VARCHAR) AS callsign,
    CAST(p.onground AS BOOLEAN) AS onground,
    CAST(p.squawk AS VARCHAR) AS squawk,
    CAST(p.airline_icao AS VARCHAR) AS airline_icao,
    CAST(p.airline_name AS VARCHAR) AS airline_name,
    CAST(p.registration_country AS VARCHAR) AS registration_country,
    CAST(p.data_source AS VARCHAR) AS data_source
FROM pts AS p
INNER JOIN kept AS k ON p.flight_id = k.flight_id
