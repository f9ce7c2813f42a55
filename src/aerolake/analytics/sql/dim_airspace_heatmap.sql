-- Model: dim_airspace_heatmap — the serving table of that name (serving/ddl/dim_airspace_heatmap.sql).
-- Grain: one row per (date, hour_utc, cell_lat, cell_lon) holding at least one state vector;
--   cells are cell_deg x cell_deg degrees, named by their south-west corner.
-- Time column: date + hour_utc, the UTC hour of the state vector's `time` (unix s).
-- Inputs: view `states` (gold state vectors, aerolake.batch.merge.GOLD_STATE_SCHEMA); stale rows
--   (OpenSky repeating an old position) are ignored, ground and airborne points both count.
-- Params: cell_deg (degrees, e.g. 0.5).
--
-- Altitude is barometric, else geometric (metres); velocity is ground speed (m/s);
-- velocity_stddev_ms is the sample standard deviation (NULL for a single point). A value that
-- is NaN or infinite counts as missing: `ABS(x) <= 1e300` is false for both in DuckDB and Spark.
-- Floats rounded to 1e-6 (order-independent output).
WITH pts AS (
    SELECT
        icao24,
        CAST(TO_TIMESTAMP(time) AS DATE) AS day,
        CAST(FLOOR((time % 86400) / 3600) AS INTEGER) AS hour_of_day,
        CAST(FLOOR(lat / {{ cell_deg }}) * {{ cell_deg }} AS DOUBLE) AS south,
        CAST(FLOOR(lon / {{ cell_deg }}) * {{ cell_deg }} AS DOUBLE) AS west,
        COALESCE(
            CASE WHEN ABS(baroaltitude) <= 1e300 THEN baroaltitude END,
            CASE WHEN ABS(geoaltitude) <= 1e300 THEN geoaltitude END
        ) AS altitude,
        CASE WHEN ABS(velocity) <= 1e300 THEN velocity END AS speed
    FROM states
    WHERE
        NOT COALESCE(stale, FALSE)
        AND ABS(lat) <= 90
        AND ABS(lon) <= 180
)

SELECT
    day AS "date",
    hour_of_day AS hour_utc,
    south AS cell_lat,
    west AS cell_lon,
    CAST(south + {{ cell_deg }} / 2 AS DOUBLE) AS center_lat,
    CAST(west + {{ cell_deg }} / 2 AS DOUBLE) AS center_lon,
    CAST(COUNT(DISTINCT icao24) AS BIGINT) AS distinct_aircraft,
    CAST(COUNT(*) AS BIGINT) AS data_points,
    CAST(ROUND(AVG(altitude), 6) AS DOUBLE) AS avg_altitude_m,
    CAST(ROUND(AVG(speed), 6) AS DOUBLE) AS avg_velocity_ms,
    CAST(ROUND(STDDEV_SAMP(speed), 6) AS DOUBLE) AS velocity_stddev_ms
FROM pts
GROUP BY day, hour_of_day, south, west
