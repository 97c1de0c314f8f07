-- Records the projector could not project, as the log's deadletter topic tells: one row per record position,
-- replaced by each later event about it (dead-lettered, re-projection failed, re-projected). Projected from the
-- log like every other table, so the open/resolved state survives restarts and is rebuilt by a replay.

CREATE TABLE IF NOT EXISTS {{database}}.dead_letters
(
    topic LowCardinality(String),
    partition UInt32,
    offset UInt64,
    status LowCardinality(String),
    reason String,
    step String,
    tables Array(String),
    error String,
    event_id Nullable(String),
    event_type Nullable(String),
    stream Nullable(String),
    dead_lettered_at DateTime64(3, 'UTC'),
    resolved_at Nullable(DateTime64(3, 'UTC')),
    _version UInt64,
    _log_topic LowCardinality(String),
    _log_partition UInt32,
    _log_offset UInt64
)
ENGINE = ReplacingMergeTree(_version)
ORDER BY (topic, partition, offset);
