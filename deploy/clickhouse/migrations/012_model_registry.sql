-- The model registry (issue 14), projected from runlog.registry. A model's row holds its whole folded state as JSON
-- (versions, aliases, stages, approvals, policy): registries are small, a model is read whole, and one row per
-- model keeps the projection exactly the fold of its stream. The row is replaced by each later event of the model
-- (a model's stream stays in one partition, so its offsets only grow). model_versions is the same state by
-- version, for the reads that start from a run or an artifact (which versions came from this run, lineage).
-- The registry's events also go to the events table, like every other topic's, for audit trails and time travel.

CREATE TABLE IF NOT EXISTS {{database}}.registered_models
(
    workspace LowCardinality(String),
    model_id String,
    name String,
    status LowCardinality(String),
    state String,
    updated_at DateTime64(3, 'UTC'),
    _log_topic LowCardinality(String),
    _log_partition UInt32,
    _log_offset UInt64
)
ENGINE = ReplacingMergeTree(_log_offset)
ORDER BY (model_id);

CREATE TABLE IF NOT EXISTS {{database}}.model_versions
(
    workspace LowCardinality(String),
    model_id String,
    model_name String,
    model_status LowCardinality(String),
    version UInt32,
    run_id String,
    artifact_path String,
    sha256 String,
    stage LowCardinality(String),
    aliases Array(String),
    registered_at DateTime64(3, 'UTC'),
    registered_by String,
    _log_topic LowCardinality(String),
    _log_partition UInt32,
    _log_offset UInt64
)
ENGINE = ReplacingMergeTree(_log_offset)
ORDER BY (model_id, version);
