-- Exactly-once for what materialized views derive from metric_points (issue 11). One INSERT lands in metric_points
-- and then, view by view, in metric_summary and the rollup chain: a crash in between (the process SIGKILLed) left
-- the raw points stored and a view's block missing, and the per-table watermark then skipped the points for good.
-- Each metric_points insert now carries an insert_deduplication_token made from its log offsets, recorded first
-- as the partition's projection intent: after a restart the projector inserts that intent again with the same
-- token. Tables that hold the block drop it as a duplicate; a view that missed it gets it
-- (deduplicate_blocks_in_dependent_materialized_views). Non-replicated MergeTree deduplicates only within a
-- window of recent blocks per table: 10,000 inserts, hours of a busy store, while a recovery follows its crash
-- before the partition's next insert.

ALTER TABLE {{database}}.metric_points MODIFY SETTING non_replicated_deduplication_window = 10000;

ALTER TABLE {{database}}.metric_summary MODIFY SETTING non_replicated_deduplication_window = 10000;

ALTER TABLE {{database}}.metric_rollup_10 MODIFY SETTING non_replicated_deduplication_window = 10000;

ALTER TABLE {{database}}.metric_rollup_100 MODIFY SETTING non_replicated_deduplication_window = 10000;

ALTER TABLE {{database}}.metric_rollup_1000 MODIFY SETTING non_replicated_deduplication_window = 10000;

ALTER TABLE {{database}}.metric_rollup_10000 MODIFY SETTING non_replicated_deduplication_window = 10000;

-- The last metric_points insert each partition began: [first_offset, last_offset], its rows and its token. Written
-- before the insert; read when a projector takes a partition up. Versioned by last_offset: a re-projection of an
-- old dead letter writes an intent below the one in flight and never replaces it.
CREATE TABLE IF NOT EXISTS {{database}}.projection_intents
(
    topic LowCardinality(String),
    partition UInt32,
    first_offset UInt64,
    last_offset UInt64,
    rows UInt64,
    token String
)
ENGINE = ReplacingMergeTree(last_offset)
ORDER BY (topic, partition);
