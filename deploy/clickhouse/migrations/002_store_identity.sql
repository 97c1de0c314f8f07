-- Which store this is. The projector's consumer group is named after it, so a projector pointed at an empty
-- ClickHouse (a new server, a dropped database) starts a new group and replays the log from offset 0 instead of
-- resuming at the position an earlier store's group committed. Processes sharing a store agree on the earliest id.

CREATE TABLE IF NOT EXISTS {{database}}.store_identity
(
    id String,
    created_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = MergeTree
ORDER BY (created_at, id);
