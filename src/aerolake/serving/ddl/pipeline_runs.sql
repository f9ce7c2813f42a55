-- pipeline_runs: one row per pipeline run (ingest, batch, load, speed flush). Times UTC.
-- status: running | succeeded | failed. settings_json holds the redacted settings, never secrets.
CREATE TABLE pipeline_runs (
    run_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    status TEXT NOT NULL,
    error TEXT,
    settings_json TEXT,
    PRIMARY KEY (run_id)
);
CREATE INDEX pipeline_runs_started_at_idx ON pipeline_runs (started_at);
