-- Projections of the log. Every table can be dropped and rebuilt by replaying the log from offset 0.
-- Each row carries the log position it came from (_log_topic, _log_partition, _log_offset): the projector
-- reads max(_log_offset) per table at start and skips what is already there, so a crash between an insert
-- and the offset commit neither loses nor doubles a row.

CREATE TABLE IF NOT EXISTS {{database}}.events
(
    id UUID,
    type LowCardinality(String),
    v UInt16,
    stream String,
    workspace LowCardinality(String),
    actor String,
    occurred_at DateTime64(3, 'UTC'),
    recorded_at DateTime64(3, 'UTC'),
    prev_hash Nullable(String),
    hash String,
    payload String,
    _log_topic LowCardinality(String),
    _log_partition UInt32,
    _log_offset UInt64
)
ENGINE = MergeTree
ORDER BY (stream, _log_topic, _log_partition, _log_offset);

CREATE TABLE IF NOT EXISTS {{database}}.experiments
(
    experiment_id String,
    name String,
    created_at DateTime64(3, 'UTC'),
    _version UInt64,
    _log_topic LowCardinality(String),
    _log_partition UInt32,
    _log_offset UInt64
)
ENGINE = ReplacingMergeTree(_version)
ORDER BY experiment_id;

CREATE TABLE IF NOT EXISTS {{database}}.runs
(
    run_id String,
    experiment_id String,
    name String,
    status LowCardinality(String),
    start_time DateTime64(3, 'UTC'),
    end_time Nullable(DateTime64(3, 'UTC')),
    failure_reason Nullable(String),
    _version UInt64,
    _log_topic LowCardinality(String),
    _log_partition UInt32,
    _log_offset UInt64
)
ENGINE = ReplacingMergeTree(_version)
ORDER BY run_id;

CREATE TABLE IF NOT EXISTS {{database}}.params
(
    run_id String,
    key String,
    value String,
    value_num Nullable(Float64),
    _version UInt64,
    _log_topic LowCardinality(String),
    _log_partition UInt32,
    _log_offset UInt64
)
ENGINE = ReplacingMergeTree(_version)
ORDER BY (run_id, key);

CREATE TABLE IF NOT EXISTS {{database}}.tags
(
    run_id String,
    key String,
    value String,
    _version UInt64,
    _is_deleted UInt8,
    _log_topic LowCardinality(String),
    _log_partition UInt32,
    _log_offset UInt64
)
ENGINE = ReplacingMergeTree(_version, _is_deleted)
ORDER BY (run_id, key);

CREATE TABLE IF NOT EXISTS {{database}}.metric_points
(
    run_id String,
    key LowCardinality(String),
    step Int64,
    value Float64,
    timestamp DateTime64(3, 'UTC'),
    _log_topic LowCardinality(String),
    _log_partition UInt32,
    _log_offset UInt64
)
ENGINE = MergeTree
ORDER BY (run_id, key, step);

-- Per (run, key) summary for run pages, sorting and top-k; filled by the view on every metric_points insert.
CREATE TABLE IF NOT EXISTS {{database}}.metric_summary
(
    run_id String,
    key LowCardinality(String),
    last AggregateFunction(argMax, Float64, Tuple(Int64, DateTime64(3, 'UTC'))),
    last_step SimpleAggregateFunction(max, Int64),
    min SimpleAggregateFunction(min, Float64),
    max SimpleAggregateFunction(max, Float64),
    count SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
ORDER BY (run_id, key);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.metric_summary_mv TO {{database}}.metric_summary AS
SELECT
    run_id,
    key,
    argMaxState(value, (step, timestamp)) AS last,
    max(step) AS last_step,
    min(value) AS min,
    max(value) AS max,
    toUInt64(count()) AS count
FROM {{database}}.metric_points
GROUP BY run_id, key;
