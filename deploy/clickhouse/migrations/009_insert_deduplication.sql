-- Exactly-once for what materialized views derive from metric_points (issue 11). One INSERT lands in metric_points
-- and then, view by view, in metric_summary and the rollup chain: a crash in between (the process SIGKILLed) left
-- the raw points stored and a view's block missing, and the per-table watermark then skipped the points for good.
-- Each metric_points insert now carries an insert_deduplication_token made from its log offsets, recorded first
-- as the partition's projection intent: after a restart the projector inserts that intent again with the same
-- token. Tables that hold the block drop it as a duplicate; a view that missed it gets it
-- (deduplicate_blocks_in_dependent_materialized_views). Non-replicated MergeTree deduplicates only within this
-- window of recent blocks.

ALTER TABLE {{database}}.metric_points MODIFY SETTING non_replicated_deduplication_window = 1000;

ALTER TABLE {{database}}.metric_summary MODIFY SETTING non_replicated_deduplication_window = 1000;

ALTER TABLE {{database}}.metric_rollup_10 MODIFY SETTING non_replicated_deduplication_window = 1000;

ALTER TABLE {{database}}.metric_rollup_100 MODIFY SETTING non_replicated_deduplication_window = 1000;

ALTER TABLE {{database}}.metric_rollup_1000 MODIFY SETTING non_replicated_deduplication_window = 1000;

ALTER TABLE {{database}}.metric_rollup_10000 MODIFY SETTING non_replicated_deduplication_window = 1000;

-- The last metric_points insert each partition began: [first_offset, last_offset] and its token. Written before
-- the insert; read once per partition when a projector starts.
CREATE TABLE IF NOT EXISTS {{database}}.projection_intents
(
    topic LowCardinality(String),
    partition UInt32,
    first_offset UInt64,
    last_offset UInt64,
    token String,
    _version UInt64
)
ENGINE = ReplacingMergeTree(_version)
ORDER BY (topic, partition);
