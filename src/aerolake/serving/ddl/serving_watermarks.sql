-- serving_watermarks: how far each incrementally loaded table is up to date (grain: name).
-- Written in the same transaction as the data it describes. updated_at is UTC.
CREATE TABLE serving_watermarks (
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (name)
);
