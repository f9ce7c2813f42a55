-- task_runs: one row per task of a pipeline run (grain: run_id, task). Times UTC, duration in
-- seconds. quarantine_json maps reason code -> rows; files_json / bytes_json map lake layer ->
-- files / bytes written; metrics_json holds task-specific figures. status as in pipeline_runs.
CREATE TABLE task_runs (
    run_id TEXT NOT NULL,
    task TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    duration_s DOUBLE PRECISION,
    status TEXT NOT NULL,
    rows_in BIGINT,
    rows_out BIGINT,
    rows_quarantined BIGINT,
    quarantine_json TEXT,
    files_json TEXT,
    bytes_json TEXT,
    metrics_json TEXT,
    error TEXT,
    PRIMARY KEY (run_id, task)
);
