-- health_checks: probes taken during a run (grain: run_id, check_name). checked_at UTC,
-- duration_ms in milliseconds; detail says what was probed or why it failed.
CREATE TABLE health_checks (
    run_id TEXT NOT NULL,
    check_name TEXT NOT NULL,
    ok BOOLEAN NOT NULL,
    detail TEXT,
    duration_ms DOUBLE PRECISION,
    checked_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, check_name)
);
