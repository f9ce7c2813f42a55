-- Model: flight_segments — silver state vectors cut into flights, one row per segment.
-- Grain: one row per (icao24, first_seen) segment whose first point lies in
--   [window_from, window_to); segment_kind 'flight', 'fragment' (fewer than min_points points)
--   or 'ground_only' (no airborne point). Only 'flight' rows get airports (see flights.sql).
-- Time column: first_seen (the segment's first point, UTC); input time is unix seconds.
-- Inputs: view `silver` (aerolake.schema.SILVER_SCHEMA; any row order; (icao24, time) unique,
--   lat/lon present, as validation guarantees; stale rows are ignored) and view `airports`
--   (aerolake.refdata.airports.AIRPORT_SCHEMA).
-- Params (numbers unless noted): gap_s, ground_stop_s, points_from, points_to, window_from,
--   window_to (unix s), min_points, airport_radius_km, low_agl_m, cruise_min_m,
--   level_vertrate_ms, data_source (text), icao24_last_digits (text: the aircraft whose
--   address ends in one of these hex digits; a run in parts bounds memory, see segment.py).
--
-- Cutting rules (rationale in aerolake/analytics/segment.py):
--   gap        a point more than gap_s after the previous one (or an aircraft's first point);
--   ground     a ground stop: on-ground points between two airborne points at least
--              ground_stop_s apart; cut at the midpoint of the stop (earlier ground points stay
--              with the arriving flight), or at a callsign change during the stop;
--   callsign   a non-empty callsign that differs from the aircraft's previous non-empty one,
--              unless a gap or ground stop already separates them. Points without a callsign
--              stay with the flight around them.
-- Plan: one window pass over a slim projection of the points, the cutting rules on the few
-- "event" rows (gaps, on-ground transitions, callsign starts), then plain aggregates of the
-- points per cut interval (equi-join on icao24 and hour bucket). Spark-portable by design:
-- no QUALIFY, no ASOF join, no spatial extension; haversine from trigonometric functions.
WITH pts AS (
    SELECT
        icao24,
        time,
        lat,
        lon,
        NULLIF(TRIM(callsign), '') AS callsign,
        COALESCE(onground, FALSE) AS onground,
        COALESCE(baroaltitude, geoaltitude) AS altitude,
        baroaltitude,
        geoaltitude
    FROM silver
    WHERE
        time >= {{ points_from }} AND time < {{ points_to }}
        AND NOT COALESCE(stale, FALSE)
        AND INSTR({{ icao24_last_digits }}, SUBSTR(icao24, 6, 1)) > 0
),

-- The only sort of the points: neighbours along each aircraft's track.
steps AS (
    SELECT
        *,
        LAG(time) OVER w AS prev_time,
        LEAD(time) OVER w AS next_time,
        LAG(onground) OVER w AS prev_onground,
        LAG(altitude) OVER w AS prev_altitude,
        LAG(callsign) OVER w AS prev_callsign,
        LAG(lat) OVER w AS prev_lat,
        LAG(lon) OVER w AS prev_lon
    FROM pts
    WINDOW w AS (PARTITION BY icao24 ORDER BY time)
),

events AS (
    SELECT
        icao24,
        time,
        prev_time,
        next_time,
        callsign,
        prev_time IS NULL OR time - prev_time > {{ gap_s }} AS is_gap,
        time - prev_time <= {{ gap_s }} AND onground AND NOT prev_onground AS is_landing,
        time - prev_time <= {{ gap_s }} AND NOT onground AND prev_onground AS is_takeoff
    FROM steps
    WHERE
        prev_time IS NULL
        OR next_time IS NULL
        OR time - prev_time > {{ gap_s }}
        OR onground <> prev_onground
        OR (callsign IS NOT NULL AND (prev_callsign IS NULL OR callsign <> prev_callsign))
),

-- Every change to a different non-empty callsign is an event, so the previous non-empty
-- callsign of an event is the last non-empty callsign among the events before it.
events_1 AS (
    SELECT
        *,
        MAX(CASE WHEN is_gap THEN time END) OVER w_run AS gap_time,
        MAX(CASE WHEN is_landing THEN time END) OVER w_run AS landing_time,
        MAX(CASE WHEN is_landing THEN prev_time END) OVER w_run AS landing_air_time,
        LAST_VALUE(callsign IGNORE NULLS) OVER w_before AS prev_callsign,
        MAX(CASE WHEN callsign IS NOT NULL THEN time END) OVER w_before AS prev_callsign_time
    FROM events
    WINDOW
        w_run AS (
            PARTITION BY icao24 ORDER BY time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ),
        w_before AS (
            PARTITION BY icao24 ORDER BY time ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        )
),

events_2 AS (
    SELECT
        *,
        is_takeoff
            AND landing_time > gap_time
            AND time - landing_air_time >= {{ ground_stop_s }} AS is_stop_end,
        callsign IS NOT NULL
            AND prev_callsign IS NOT NULL
            AND callsign <> prev_callsign
            AND gap_time <= prev_callsign_time AS is_callsign_change
    FROM events_1
),

events_3 AS (
    SELECT
        *,
        MAX(CASE WHEN is_stop_end THEN time END) OVER w_run AS stop_end_time
    FROM events_2
    WINDOW w_run AS (
        PARTITION BY icao24 ORDER BY time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
),

events_4 AS (
    SELECT
        *,
        is_callsign_change
            AND (stop_end_time IS NULL OR stop_end_time <= prev_callsign_time) AS is_callsign_cut
    FROM events_3
),

events_5 AS (
    SELECT
        *,
        MAX(CASE WHEN is_callsign_cut THEN time END) OVER w_run AS callsign_cut_time
    FROM events_4
    WINDOW w_run AS (
        PARTITION BY icao24 ORDER BY time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
),

cut_points AS (
    SELECT icao24, time AS cut_time FROM events_5 WHERE is_gap OR is_callsign_cut
    UNION ALL
    SELECT icao24, CAST(CEIL((landing_air_time + time) / 2.0) AS BIGINT) AS cut_time
    FROM events_5
    WHERE is_stop_end AND (callsign_cut_time IS NULL OR callsign_cut_time < landing_time)
    UNION ALL
    -- Closes the last interval of each aircraft.
    SELECT icao24, time + 1 AS cut_time FROM events_5 WHERE next_time IS NULL
),

cuts AS (
    SELECT
        icao24,
        cut_time,
        LEAD(cut_time) OVER (PARTITION BY icao24 ORDER BY cut_time) AS cut_end
    FROM cut_points
),

-- Each cut interval once per hour it touches, so the points join on an equality.
cut_hours AS (
    SELECT icao24, cut_time, cut_end, hour
    FROM cuts
    CROSS JOIN UNNEST(GENERATE_SERIES(
        CAST(FLOOR(cut_time / 3600.0) AS BIGINT), CAST(FLOOR((cut_end - 1) / 3600.0) AS BIGINT)
    )) AS h(hour)
    WHERE cut_end IS NOT NULL
),

-- Per cut interval, from the track steps: everything that needs the previous point, and the
-- extremes of the columns the steps carry anyway. An interval between two points belongs to
-- the segment when both points do, and is described by the state of its first point.
track AS (
    SELECT
        s.icao24,
        c.cut_time,
        COUNT(*) AS points,
        MIN(s.time) AS first_s,
        MAX(s.time) AS last_s,
        SUM(CASE WHEN NOT s.onground THEN 1 ELSE 0 END) AS airborne_points,
        MIN_BY(s.onground, s.time) AS first_onground,
        MAX_BY(s.onground, s.time) AS last_onground,
        MIN_BY(s.lat, s.time) AS first_lat,
        MIN_BY(s.lon, s.time) AS first_lon,
        MIN_BY(s.altitude, s.time) AS first_altitude,
        MAX_BY(s.lat, s.time) AS last_lat,
        MAX_BY(s.lon, s.time) AS last_lon,
        MAX_BY(s.altitude, s.time) AS last_altitude,
        MAX_BY(s.callsign, CASE WHEN s.callsign IS NOT NULL THEN s.time END) AS callsign,
        MIN(s.baroaltitude) AS baroaltitude_min,
        MAX(s.baroaltitude) AS baroaltitude_max,
        AVG(s.baroaltitude) AS baroaltitude_avg,
        MIN(s.geoaltitude) AS geoaltitude_min,
        MAX(s.geoaltitude) AS geoaltitude_max,
        AVG(s.geoaltitude) AS geoaltitude_avg,
        MIN(s.lat) AS lat_min,
        MAX(s.lat) AS lat_max,
        MIN(s.lon) AS lon_min,
        MAX(s.lon) AS lon_max,
        MIN(CASE WHEN s.prev_time >= c.cut_time AND s.prev_onground AND NOT s.onground
            THEN s.time END) AS takeoff_s,
        MIN_BY(s.lat, CASE WHEN s.prev_time >= c.cut_time AND s.prev_onground AND NOT s.onground
            THEN s.time END) AS takeoff_lat,
        MIN_BY(s.lon, CASE WHEN s.prev_time >= c.cut_time AND s.prev_onground AND NOT s.onground
            THEN s.time END) AS takeoff_lon,
        MAX(CASE WHEN s.prev_time >= c.cut_time AND NOT s.prev_onground AND s.onground
            THEN s.time END) AS landing_s,
        MAX_BY(s.lat, CASE WHEN s.prev_time >= c.cut_time AND NOT s.prev_onground AND s.onground
            THEN s.time END) AS landing_lat,
        MAX_BY(s.lon, CASE WHEN s.prev_time >= c.cut_time AND NOT s.prev_onground AND s.onground
            THEN s.time END) AS landing_lon,
        SUM(CASE WHEN s.prev_time >= c.cut_time AND s.prev_onground
            THEN s.time - s.prev_time ELSE 0 END) AS onground_s,
        SUM(CASE WHEN s.prev_time >= c.cut_time AND NOT s.prev_onground
            THEN s.time - s.prev_time ELSE 0 END) AS airborne_s,
        SUM(CASE WHEN s.prev_time >= c.cut_time AND NOT s.prev_onground
            AND s.prev_altitude < 3000 THEN s.time - s.prev_time ELSE 0 END) AS below_3km_s,
        SUM(CASE WHEN s.prev_time >= c.cut_time AND NOT s.prev_onground
            AND s.prev_altitude >= 3000 AND s.prev_altitude <= 9000
            THEN s.time - s.prev_time ELSE 0 END) AS between_3_9km_s,
        SUM(CASE WHEN s.prev_time >= c.cut_time AND NOT s.prev_onground
            AND s.prev_altitude > 9000 THEN s.time - s.prev_time ELSE 0 END) AS above_9km_s,
        COALESCE(SUM(CASE WHEN s.prev_time >= c.cut_time THEN
            2 * 6371.0088 * ASIN(LEAST(1.0, SQRT(
                POWER(SIN(RADIANS(s.lat - s.prev_lat) / 2), 2)
                + COS(RADIANS(s.prev_lat)) * COS(RADIANS(s.lat))
                * POWER(SIN(RADIANS(s.lon - s.prev_lon) / 2), 2)
            ))) END), 0.0) AS path_distance_km
    FROM steps AS s
    INNER JOIN cut_hours AS c
        ON s.icao24 = c.icao24
        AND CAST(FLOOR(s.time / 3600.0) AS BIGINT) = c.hour
        AND s.time >= c.cut_time
        AND s.time < c.cut_end
    GROUP BY s.icao24, c.cut_time
),

-- Per cut interval, from the silver rows: plain aggregates of the other columns.
stats AS (
    SELECT
        v.icao24,
        c.cut_time,
        AVG(CASE WHEN NOT COALESCE(v.onground, FALSE) AND v.baroaltitude > {{ cruise_min_m }}
            AND ABS(v.vertrate) <= {{ level_vertrate_ms }} THEN v.baroaltitude END)
            AS cruise_altitude,
        MIN(v.velocity) AS velocity_min,
        MAX(v.velocity) AS velocity_max,
        AVG(v.velocity) AS velocity_avg,
        STDDEV_SAMP(v.velocity) AS velocity_stddev,
        MAX(v.vertrate) AS vertrate_max,
        MIN(v.vertrate) AS vertrate_min,
        AVG(SIN(RADIANS(v.heading))) AS heading_sin,
        AVG(COS(RADIANS(v.heading))) AS heading_cos,
        COUNT(DISTINCT v.squawk) AS unique_squawk_codes,
        MAX(CASE WHEN v.squawk = '7500' THEN 1 ELSE 0 END) AS squawk_7500,
        MAX(CASE WHEN v.squawk = '7600' THEN 1 ELSE 0 END) AS squawk_7600,
        MAX(CASE WHEN v.squawk = '7700' THEN 1 ELSE 0 END) AS squawk_7700,
        SUM(CASE WHEN v.alert THEN 1 ELSE 0 END) AS alert_count,
        SUM(CASE WHEN v.spi THEN 1 ELSE 0 END) AS spi_count,
        MAX_BY(v.airline_icao, CASE WHEN v.airline_icao IS NOT NULL THEN v.time END)
            AS airline_icao,
        MAX_BY(v.airline_name, CASE WHEN v.airline_name IS NOT NULL THEN v.time END)
            AS airline_name,
        MAX(v.registration_country) AS registration_country,
        MAX(v.registration) AS registration,
        MAX(v.typecode) AS typecode,
        MAX(v.origin_country) AS origin_country
    FROM silver AS v
    INNER JOIN cut_hours AS c
        ON v.icao24 = c.icao24
        AND CAST(FLOOR(v.time / 3600.0) AS BIGINT) = c.hour
        AND v.time >= c.cut_time
        AND v.time < c.cut_end
    WHERE
        v.time >= {{ points_from }} AND v.time < {{ points_to }}
        AND INSTR({{ icao24_last_digits }}, SUBSTR(v.icao24, 6, 1)) > 0
        AND NOT COALESCE(v.stale, FALSE)
    GROUP BY v.icao24, c.cut_time
),

-- One row per cut interval: everything below reads only this and `airports`. The DuckDB path
-- computes it with a vectorised kernel instead (aerolake.analytics.segment_kernel; a parity
-- test keeps the two identical) and runs the rest of this model on its result.
segment_stats AS (
    SELECT
        t.*,
        st.cruise_altitude,
        st.velocity_min,
        st.velocity_max,
        st.velocity_avg,
        st.velocity_stddev,
        st.vertrate_max,
        st.vertrate_min,
        st.heading_sin,
        st.heading_cos,
        st.unique_squawk_codes,
        st.squawk_7500,
        st.squawk_7600,
        st.squawk_7700,
        st.alert_count,
        st.spi_count,
        st.airline_icao,
        st.airline_name,
        st.registration_country,
        st.registration,
        st.typecode,
        st.origin_country
    FROM track AS t
    INNER JOIN stats AS st ON t.icao24 = st.icao24 AND t.cut_time = st.cut_time
),

segments AS (
    SELECT
        t.*,
        CASE
            WHEN t.points < {{ min_points }} THEN 'fragment'
            WHEN t.airborne_points = 0 THEN 'ground_only'
            ELSE 'flight'
        END AS segment_kind,
        -- Where to look for the origin: the take-off point when the track starts on the ground,
        -- else its first point (which must then be low above the airport found).
        CASE WHEN t.first_onground THEN t.takeoff_lat ELSE t.first_lat END AS origin_lat,
        CASE WHEN t.first_onground THEN t.takeoff_lon ELSE t.first_lon END AS origin_lon,
        CASE WHEN t.last_onground THEN t.landing_lat ELSE t.last_lat END AS destination_lat,
        CASE WHEN t.last_onground THEN t.landing_lon ELSE t.last_lon END AS destination_lon
    FROM segment_stats AS t
    WHERE t.first_s >= {{ window_from }} AND t.first_s < {{ window_to }}
),

ends AS (
    SELECT
        s.icao24,
        s.cut_time,
        e.end_kind,
        CASE WHEN e.end_kind = 'origin' THEN s.origin_lat ELSE s.destination_lat END AS lat,
        CASE WHEN e.end_kind = 'origin' THEN s.origin_lon ELSE s.destination_lon END AS lon
    FROM segments AS s
    CROSS JOIN (VALUES ('origin'), ('destination')) AS e(end_kind)
    WHERE s.segment_kind = 'flight'
),

-- Airports repeated in every 0.1 x 0.1 degree cell that lies within airport_radius_km of them
-- (a longitude degree shrinks with cos(latitude)); ends then join on their own cell.
airport_cells AS (
    SELECT
        a.icao,
        a.lat,
        a.lon,
        a.elevation_m,
        CAST(FLOOR(a.lat * 10) AS BIGINT) + dy.d AS cell_lat,
        CAST(FLOOR(a.lon * 10) AS BIGINT) + dx.d AS cell_lon
    FROM airports AS a
    CROSS JOIN (VALUES (-1), (0), (1)) AS dy(d)
    CROSS JOIN (
        VALUES (-12), (-11), (-10), (-9), (-8), (-7), (-6), (-5), (-4), (-3), (-2), (-1), (0),
            (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12)
    ) AS dx(d)
    WHERE ABS(dx.d) <= CEIL(
        {{ airport_radius_km }}
        / (11.1195 * GREATEST(COS(RADIANS(LEAST(ABS(a.lat) + 0.1, 89.0))), 0.01))
    )
),

candidates AS (
    SELECT
        e.icao24,
        e.cut_time,
        e.end_kind,
        c.icao,
        c.lat,
        c.lon,
        c.elevation_m,
        2 * 6371.0088 * ASIN(LEAST(1.0, SQRT(
            POWER(SIN(RADIANS(c.lat - e.lat) / 2), 2)
            + COS(RADIANS(e.lat)) * COS(RADIANS(c.lat))
            * POWER(SIN(RADIANS(c.lon - e.lon) / 2), 2)
        ))) AS distance_km
    FROM ends AS e
    INNER JOIN airport_cells AS c
        ON CAST(FLOOR(e.lat * 10) AS BIGINT) = c.cell_lat
        AND CAST(FLOOR(e.lon * 10) AS BIGINT) = c.cell_lon
),

ranked AS (
    SELECT
        *,
        ROW_NUMBER() OVER (
            PARTITION BY icao24, cut_time, end_kind ORDER BY distance_km, icao
        ) AS rank
    FROM candidates
    WHERE distance_km <= {{ airport_radius_km }}
),

nearest AS (
    SELECT * FROM ranked WHERE rank = 1
),

resolved AS (
    SELECT
        s.*,
        o.icao AS origin_found,
        o.distance_km AS origin_found_km,
        o.lat AS origin_airport_lat,
        o.lon AS origin_airport_lon,
        s.first_onground OR s.first_altitude - o.elevation_m < {{ low_agl_m }} AS origin_low,
        d.icao AS destination_found,
        d.distance_km AS destination_found_km,
        d.lat AS destination_airport_lat,
        d.lon AS destination_airport_lon,
        s.last_onground OR s.last_altitude - d.elevation_m < {{ low_agl_m }} AS destination_low
    FROM segments AS s
    LEFT JOIN nearest AS o
        ON s.icao24 = o.icao24 AND s.cut_time = o.cut_time AND o.end_kind = 'origin'
    LEFT JOIN nearest AS d
        ON s.icao24 = d.icao24 AND s.cut_time = d.cut_time AND d.end_kind = 'destination'
),

labelled AS (
    SELECT
        *,
        CASE WHEN origin_found IS NOT NULL AND origin_low THEN origin_found END AS origin,
        CASE WHEN destination_found IS NOT NULL AND destination_low THEN destination_found END
            AS destination
    FROM resolved
)

SELECT
    CAST(
        l.icao24 || '-' || STRFTIME(TO_TIMESTAMP(l.first_s), '%Y%m%d') || 'T'
        || STRFTIME(TO_TIMESTAMP(l.first_s), '%H%M%S') || 'Z' AS VARCHAR
    ) AS flight_id,
    CAST(l.icao24 AS VARCHAR) AS icao24,
    CAST(l.callsign AS VARCHAR) AS callsign,
    CAST(l.airline_icao AS VARCHAR) AS airline_icao,
    CAST(l.airline_name AS VARCHAR) AS airline_name,
    CAST(l.registration AS VARCHAR) AS registration,
    CAST(l.registration_country AS VARCHAR) AS registration_country,
    CAST(l.typecode AS VARCHAR) AS typecode,
    CAST(l.origin_country AS VARCHAR) AS origin_country,
    CAST(TO_TIMESTAMP(l.first_s) AS TIMESTAMPTZ) AS first_seen,
    CAST(TO_TIMESTAMP(l.last_s) AS TIMESTAMPTZ) AS last_seen,
    CAST(TO_TIMESTAMP(CASE
        WHEN l.first_onground THEN l.takeoff_s
        WHEN l.origin IS NOT NULL THEN l.first_s
    END) AS TIMESTAMPTZ) AS takeoff_time,
    CAST(TO_TIMESTAMP(CASE
        WHEN l.last_onground THEN l.landing_s
        WHEN l.destination IS NOT NULL THEN l.last_s
    END) AS TIMESTAMPTZ) AS landing_time,
    CAST(l.last_s - l.first_s AS BIGINT) AS duration_s,
    CAST(l.points AS BIGINT) AS points,
    CAST(l.origin AS VARCHAR) AS origin,
    CAST(CASE
        WHEN l.segment_kind <> 'flight' OR l.origin IS NOT NULL THEN NULL
        WHEN NOT l.first_onground AND (l.origin_found IS NULL OR NOT l.origin_low)
            THEN 'entered_airborne'
        ELSE 'no_airport_within_10km'
    END AS VARCHAR) AS origin_reason,
    CAST(CASE WHEN l.origin IS NOT NULL THEN l.origin_found_km END AS DOUBLE)
        AS origin_distance_km,
    CAST(l.destination AS VARCHAR) AS destination,
    CAST(CASE
        WHEN l.segment_kind <> 'flight' OR l.destination IS NOT NULL THEN NULL
        WHEN NOT l.last_onground AND (l.destination_found IS NULL OR NOT l.destination_low)
            THEN 'left_airborne'
        ELSE 'no_airport_within_10km'
    END AS VARCHAR) AS destination_reason,
    CAST(CASE WHEN l.destination IS NOT NULL THEN l.destination_found_km END AS DOUBLE)
        AS destination_distance_km,
    CAST(l.first_lat AS DOUBLE) AS first_lat,
    CAST(l.first_lon AS DOUBLE) AS first_lon,
    CAST(l.last_lat AS DOUBLE) AS last_lat,
    CAST(l.last_lon AS DOUBLE) AS last_lon,
    -- Sums and means of floats are rounded (1e-6) so that parallel aggregation in any row order
    -- gives identical output.
    CAST(ROUND(l.path_distance_km, 6) AS DOUBLE) AS path_distance_km,
    CAST(CASE WHEN l.origin IS NOT NULL AND l.destination IS NOT NULL THEN
        2 * 6371.0088 * ASIN(LEAST(1.0, SQRT(
            POWER(SIN(RADIANS(l.destination_airport_lat - l.origin_airport_lat) / 2), 2)
            + COS(RADIANS(l.origin_airport_lat)) * COS(RADIANS(l.destination_airport_lat))
            * POWER(SIN(RADIANS(l.destination_airport_lon - l.origin_airport_lon) / 2), 2)
        ))) END AS DOUBLE) AS great_circle_km,
    CAST(l.baroaltitude_min AS DOUBLE) AS baroaltitude_min,
    CAST(l.baroaltitude_max AS DOUBLE) AS baroaltitude_max,
    CAST(ROUND(l.baroaltitude_avg, 6) AS DOUBLE) AS baroaltitude_avg,
    CAST(l.geoaltitude_min AS DOUBLE) AS geoaltitude_min,
    CAST(l.geoaltitude_max AS DOUBLE) AS geoaltitude_max,
    CAST(ROUND(l.geoaltitude_avg, 6) AS DOUBLE) AS geoaltitude_avg,
    CAST(ROUND(l.cruise_altitude, 6) AS DOUBLE) AS cruise_altitude,
    CAST(l.velocity_min AS DOUBLE) AS velocity_min,
    CAST(l.velocity_max AS DOUBLE) AS velocity_max,
    CAST(ROUND(l.velocity_avg, 6) AS DOUBLE) AS velocity_avg,
    CAST(ROUND(l.velocity_stddev, 6) AS DOUBLE) AS velocity_stddev,
    CAST(GREATEST(l.vertrate_max, 0.0) AS DOUBLE) AS max_climb_rate,
    CAST(GREATEST(-l.vertrate_min, 0.0) AS DOUBLE) AS max_descent_rate,
    -- Circular mean; undefined (null) when the headings cancel out.
    CAST(CASE WHEN SQRT(l.heading_sin * l.heading_sin + l.heading_cos * l.heading_cos) > 1e-9
        THEN ROUND((DEGREES(ATAN2(l.heading_sin, l.heading_cos)) + 360) % 360, 6) % 360
    END AS DOUBLE) AS track_mean,
    CAST(l.lat_min AS DOUBLE) AS lat_min,
    CAST(l.lat_max AS DOUBLE) AS lat_max,
    CAST(l.lon_min AS DOUBLE) AS lon_min,
    CAST(l.lon_max AS DOUBLE) AS lon_max,
    CAST(l.onground_s AS BIGINT) AS onground_s,
    CAST(l.airborne_s AS BIGINT) AS airborne_s,
    CAST(l.below_3km_s AS BIGINT) AS below_3km_s,
    CAST(l.between_3_9km_s AS BIGINT) AS between_3_9km_s,
    CAST(l.above_9km_s AS BIGINT) AS above_9km_s,
    CAST(l.unique_squawk_codes AS BIGINT) AS unique_squawk_codes,
    CAST(l.squawk_7500 + l.squawk_7600 + l.squawk_7700 > 0 AS BOOLEAN) AS emergency_squawk,
    CAST(NULLIF(CONCAT_WS(',',
        CASE WHEN l.squawk_7500 = 1 THEN '7500' END,
        CASE WHEN l.squawk_7600 = 1 THEN '7600' END,
        CASE WHEN l.squawk_7700 = 1 THEN '7700' END
    ), '') AS VARCHAR) AS emergency_squawks,
    CAST(l.alert_count AS BIGINT) AS alert_count,
    CAST(l.spi_count AS BIGINT) AS spi_count,
    CAST({{ data_source }} AS VARCHAR) AS data_source,
    CAST(l.segment_kind AS VARCHAR) AS segment_kind
FROM labelled AS l
ORDER BY l.icao24, l.first_s
