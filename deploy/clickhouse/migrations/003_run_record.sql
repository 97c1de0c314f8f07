-- The full run record: experiment archiving, run lifecycle details (queued, deleted, notes, stack traces, context,
-- sweeps and parents), inputs (lineage) and artifacts. An existing store gets the new columns empty; events already
-- projected before this migration fill them only on a replay (drop the database: the projector rebuilds it).

ALTER TABLE {{database}}.experiments ADD COLUMN IF NOT EXISTS archived UInt8 DEFAULT 0;

ALTER TABLE {{database}}.runs ADD COLUMN IF NOT EXISTS created_at DateTime64(3, 'UTC') DEFAULT start_time;

ALTER TABLE {{database}}.runs ADD COLUMN IF NOT EXISTS sweep_id Nullable(String);

ALTER TABLE {{database}}.runs ADD COLUMN IF NOT EXISTS parent_run_id Nullable(String);

ALTER TABLE {{database}}.runs ADD COLUMN IF NOT EXISTS deleted UInt8 DEFAULT 0;

ALTER TABLE {{database}}.runs ADD COLUMN IF NOT EXISTS note String DEFAULT '';

ALTER TABLE {{database}}.runs ADD COLUMN IF NOT EXISTS stack_trace Nullable(String);

-- JSON of the context captured at start (code, environment, hardware, seeds, user, host); empty when none.
ALTER TABLE {{database}}.runs ADD COLUMN IF NOT EXISTS context String DEFAULT '';

CREATE TABLE IF NOT EXISTS {{database}}.sweeps
(
    sweep_id String,
    experiment_id String,
    name String,
    method LowCardinality(String),
    search_space String,
    objective_metric Nullable(String),
    objective_goal Nullable(String),
    created_at DateTime64(3, 'UTC'),
    _version UInt64,
    _log_topic LowCardinality(String),
    _log_partition UInt32,
    _log_offset UInt64
)
ENGINE = ReplacingMergeTree(_version)
ORDER BY sweep_id;

-- One row per dataset a run read; `digest` is what lineage queries look for.
CREATE TABLE IF NOT EXISTS {{database}}.run_inputs
(
    run_id String,
    name String,
    digest String,
    source Nullable(String),
    split Nullable(String),
    rows Nullable(UInt64),
    schema_digest Nullable(String),
    logged_at DateTime64(3, 'UTC'),
    _version UInt64,
    _log_topic LowCardinality(String),
    _log_partition UInt32,
    _log_offset UInt64
)
ENGINE = ReplacingMergeTree(_version)
ORDER BY (run_id, name, digest);

-- The latest upload per (run, path); the log keeps every upload.
CREATE TABLE IF NOT EXISTS {{database}}.artifacts
(
    run_id String,
    path String,
    size UInt64,
    digest String,
    content_type String,
    logged_at DateTime64(3, 'UTC'),
    _version UInt64,
    _log_topic LowCardinality(String),
    _log_partition UInt32,
    _log_offset UInt64
)
ENGINE = ReplacingMergeTree(_version)
ORDER BY (run_id, path);

-- NaN and infinities are kept as points, but min and max summarise the finite values: one NaN must not hide a
-- run's best loss. +inf / -inf here mean "no finite value yet" and are read back as null.
DROP VIEW IF EXISTS {{database}}.metric_summary_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.metric_summary_mv TO {{database}}.metric_summary AS
SELECT
    run_id,
    key,
    argMaxState(value, (step, timestamp)) AS last,
    max(step) AS last_step,
    min(if(isFinite(value), value, inf)) AS min,
    max(if(isFinite(value), value, -inf)) AS max,
    toUInt64(count()) AS count
FROM {{database}}.metric_points
GROUP BY run_id, key;
