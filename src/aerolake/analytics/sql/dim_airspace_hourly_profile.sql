-- Model: dim_airspace_hourly_profile — the serving table of that name
--   (serving/ddl/dim_airspace_hourly_profile.sql): the heatmap folded over all dates.
-- Grain: one row per (hour_utc, cell_lat, cell_lon) with traffic on at least one date.
-- Time column: hour_utc, the UTC hour of day (0-23) over every date.
-- Inputs: view `airspace_heatmap` (rows of dim_airspace_heatmap, every date).
--
-- days = dates on which the cell had traffic in that hour; distinct_aircraft_avg = distinct
-- aircraft per day averaged over every observed date (dates present anywhere in the heatmap),
-- so a day without traffic in the cell counts as 0: a typical day, not a typical busy day.
-- data_points is the total; avg_altitude_m and avg_velocity_ms are the hourly means weighted by
-- their data points (cells whose mean is NULL carry no weight). Floats rounded to 1e-6.
WITH observed AS (
    SELECT COUNT(DISTINCT "date") AS days FROM airspace_heatmap
)

SELECT
    CAST(h.hour_utc AS INTEGER) AS hour_utc,
    CAST(h.cell_lat AS DOUBLE) AS cell_lat,
    CAST(h.cell_lon AS DOUBLE) AS cell_lon,
    CAST(MAX(h.center_lat) AS DOUBLE) AS center_lat,
    CAST(MAX(h.center_lon) AS DOUBLE) AS center_lon,
    CAST(COUNT(DISTINCT h."date") AS BIGINT) AS days,
    CAST(ROUND(SUM(h.distinct_aircraft) / CAST(MAX(o.days) AS DOUBLE), 6) AS DOUBLE)
        AS distinct_aircraft_avg,
    CAST(SUM(h.data_points) AS BIGINT) AS data_points,
    CAST(ROUND(
        SUM(h.avg_altitude_m * h.data_points)
        / NULLIF(SUM(CASE WHEN h.avg_altitude_m IS NOT NULL THEN h.data_points END), 0),
        6
    ) AS DOUBLE) AS avg_altitude_m,
    CAST(ROUND(
        SUM(h.avg_velocity_ms * h.data_points)
        / NULLIF(SUM(CASE WHEN h.avg_velocity_ms IS NOT NULL THEN h.data_points END), 0),
        6
    ) AS DOUBLE) AS avg_velocity_ms
FROM airspace_heatmap AS h
CROSS JOIN observed AS o
GROUP BY h.hour_utc, h.cell_lat, h.cell_lon
