-- Rich media (issue 15): images, histograms and tables a run logs per step, each an artifact of the run named by
-- `run.media_logged` (key, step, kind). The latest per (run, key, step); the log keeps every one.
CREATE TABLE IF NOT EXISTS {{database}}.run_media
(
    run_id String,
    key String,
    step Int64,
    kind LowCardinality(String),
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
ORDER BY (run_id, key, step);
