-- Rollups of metric_points at four step resolutions, so a chart of any run reads a number of rows set by the
-- points it draws, not by the points the run logged (issue 11). One table per resolution: bucket = the first step
-- of a bucket of `resolution` steps (floor division, negative steps included). Each row holds, per (run, key, bucket):
-- the point count, the finite count, sum and min/max of the finite values (NaN and infinities are kept as points
-- but never summarised, as in metric_summary since 003), the step and timestamp of the min and of the max (so a
-- downsampled chart draws real points), and the first and last point.
--
-- Maintained by materialized views only: metric_points -> metric_rollup_10 -> _100 -> _1000 -> _10000, each level
-- aggregating the block the level below just wrote (a tenth of its rows), so the projector knows nothing of them
-- and a replay from zero rebuilds them like every other projection. Parts are merged in the background
-- (AggregatingMergeTree); reads always aggregate, so an unmerged part never shows.
--
-- An existing store is backfilled from metric_points below. The file can run again after a crash half-way: the
-- views are dropped and the rollups emptied before the backfill. Like every migration it runs before the process
-- projects anything; two processes migrating the same pre-007 store at the same instant could backfill twice.

-- +inf / -inf stand in for "no finite value" in min and max; finite_count = 0 says so. Timestamps are epoch ms.
-- A small granule: a chart reads a few hundred rows of one (run, key), not whole 8,192-row granules of others.
CREATE TABLE IF NOT EXISTS {{database}}.metric_rollup_10
(
    run_id String,
    key LowCardinality(String),
    bucket Int64,
    count SimpleAggregateFunction(sum, UInt64),
    finite_count SimpleAggregateFunction(sum, UInt64),
    sum SimpleAggregateFunction(sum, Float64),
    min SimpleAggregateFunction(min, Float64),
    max SimpleAggregateFunction(max, Float64),
    min_step AggregateFunction(argMin, Int64, Float64),
    min_ts AggregateFunction(argMin, Int64, Float64),
    max_step AggregateFunction(argMax, Int64, Float64),
    max_ts AggregateFunction(argMax, Int64, Float64),
    first_step SimpleAggregateFunction(min, Int64),
    first AggregateFunction(argMin, Float64, Int64),
    first_ts AggregateFunction(argMin, Int64, Int64),
    last_step SimpleAggregateFunction(max, Int64),
    last AggregateFunction(argMax, Float64, Int64)
)
ENGINE = AggregatingMergeTree
ORDER BY (run_id, key, bucket)
SETTINGS index_granularity = 1024;

CREATE TABLE IF NOT EXISTS {{database}}.metric_rollup_100
(
    run_id String,
    key LowCardinality(String),
    bucket Int64,
    count SimpleAggregateFunction(sum, UInt64),
    finite_count SimpleAggregateFunction(sum, UInt64),
    sum SimpleAggregateFunction(sum, Float64),
    min SimpleAggregateFunction(min, Float64),
    max SimpleAggregateFunction(max, Float64),
    min_step AggregateFunction(argMin, Int64, Float64),
    min_ts AggregateFunction(argMin, Int64, Float64),
    max_step AggregateFunction(argMax, Int64, Float64),
    max_ts AggregateFunction(argMax, Int64, Float64),
    first_step SimpleAggregateFunction(min, Int64),
    first AggregateFunction(argMin, Float64, Int64),
    first_ts AggregateFunction(argMin, Int64, Int64),
    last_step SimpleAggregateFunction(max, Int64),
    last AggregateFunction(argMax, Float64, Int64)
)
ENGINE = AggregatingMergeTree
ORDER BY (run_id, key, bucket)
SETTINGS index_granularity = 1024;

CREATE TABLE IF NOT EXISTS {{database}}.metric_rollup_1000
(
    run_id String,
    key LowCardinality(String),
    bucket Int64,
    count SimpleAggregateFunction(sum, UInt64),
    finite_count SimpleAggregateFunction(sum, UInt64),
    sum SimpleAggregateFunction(sum, Float64),
    min SimpleAggregateFunction(min, Float64),
    max SimpleAggregateFunction(max, Float64),
    min_step AggregateFunction(argMin, Int64, Float64),
    min_ts AggregateFunction(argMin, Int64, Float64),
    max_step AggregateFunction(argMax, Int64, Float64),
    max_ts AggregateFunction(argMax, Int64, Float64),
    first_step SimpleAggregateFunction(min, Int64),
    first AggregateFunction(argMin, Float64, Int64),
    first_ts AggregateFunction(argMin, Int64, Int64),
    last_step SimpleAggregateFunction(max, Int64),
    last AggregateFunction(argMax, Float64, Int64)
)
ENGINE = AggregatingMergeTree
ORDER BY (run_id, key, bucket)
SETTINGS index_granularity = 1024;

CREATE TABLE IF NOT EXISTS {{database}}.metric_rollup_10000
(
    run_id String,
    key LowCardinality(String),
    bucket Int64,
    count SimpleAggregateFunction(sum, UInt64),
    finite_count SimpleAggregateFunction(sum, UInt64),
    sum SimpleAggregateFunction(sum, Float64),
    min SimpleAggregateFunction(min, Float64),
    max SimpleAggregateFunction(max, Float64),
    min_step AggregateFunction(argMin, Int64, Float64),
    min_ts AggregateFunction(argMin, Int64, Float64),
    max_step AggregateFunction(argMax, Int64, Float64),
    max_ts AggregateFunction(argMax, Int64, Float64),
    first_step SimpleAggregateFunction(min, Int64),
    first AggregateFunction(argMin, Float64, Int64),
    first_ts AggregateFunction(argMin, Int64, Int64),
    last_step SimpleAggregateFunction(max, Int64),
    last AggregateFunction(argMax, Float64, Int64)
)
ENGINE = AggregatingMergeTree
ORDER BY (run_id, key, bucket)
SETTINGS index_granularity = 1024;

-- Dropped first so that running this file again never lets a view double what the backfill writes.
DROP VIEW IF EXISTS {{database}}.metric_rollup_10_mv;

DROP VIEW IF EXISTS {{database}}.metric_rollup_100_mv;

DROP VIEW IF EXISTS {{database}}.metric_rollup_1000_mv;

DROP VIEW IF EXISTS {{database}}.metric_rollup_10000_mv;

TRUNCATE TABLE IF EXISTS {{database}}.metric_rollup_10;

TRUNCATE TABLE IF EXISTS {{database}}.metric_rollup_100;

TRUNCATE TABLE IF EXISTS {{database}}.metric_rollup_1000;

TRUNCATE TABLE IF EXISTS {{database}}.metric_rollup_10000;

-- Each coarser level merges the states the level below has just written.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.metric_rollup_100_mv TO {{database}}.metric_rollup_100 AS
SELECT
    run_id,
    key,
    bucket - positiveModulo(bucket, 100) AS bucket,
    sum(count) AS count,
    sum(finite_count) AS finite_count,
    sum(sum) AS sum,
    min(min) AS min,
    max(max) AS max,
    argMinMergeState(min_step) AS min_step,
    argMinMergeState(min_ts) AS min_ts,
    argMaxMergeState(max_step) AS max_step,
    argMaxMergeState(max_ts) AS max_ts,
    min(first_step) AS first_step,
    argMinMergeState(first) AS first,
    argMinMergeState(first_ts) AS first_ts,
    max(last_step) AS last_step,
    argMaxMergeState(last) AS last
FROM {{database}}.metric_rollup_10
GROUP BY run_id, key, bucket;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.metric_rollup_1000_mv TO {{database}}.metric_rollup_1000 AS
SELECT
    run_id,
    key,
    bucket - positiveModulo(bucket, 1000) AS bucket,
    sum(count) AS count,
    sum(finite_count) AS finite_count,
    sum(sum) AS sum,
    min(min) AS min,
    max(max) AS max,
    argMinMergeState(min_step) AS min_step,
    argMinMergeState(min_ts) AS min_ts,
    argMaxMergeState(max_step) AS max_step,
    argMaxMergeState(max_ts) AS max_ts,
    min(first_step) AS first_step,
    argMinMergeState(first) AS first,
    argMinMergeState(first_ts) AS first_ts,
    max(last_step) AS last_step,
    argMaxMergeState(last) AS last
FROM {{database}}.metric_rollup_100
GROUP BY run_id, key, bucket;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.metric_rollup_10000_mv TO {{database}}.metric_rollup_10000 AS
SELECT
    run_id,
    key,
    bucket - positiveModulo(bucket, 10000) AS bucket,
    sum(count) AS count,
    sum(finite_count) AS finite_count,
    sum(sum) AS sum,
    min(min) AS min,
    max(max) AS max,
    argMinMergeState(min_step) AS min_step,
    argMinMergeState(min_ts) AS min_ts,
    argMaxMergeState(max_step) AS max_step,
    argMaxMergeState(max_ts) AS max_ts,
    min(first_step) AS first_step,
    argMinMergeState(first) AS first,
    argMinMergeState(first_ts) AS first_ts,
    max(last_step) AS last_step,
    argMaxMergeState(last) AS last
FROM {{database}}.metric_rollup_1000
GROUP BY run_id, key, bucket;

-- The backfill: points projected before this migration; the cascade above fills the coarser levels from it.
INSERT INTO {{database}}.metric_rollup_10
SELECT
    run_id,
    key,
    step - positiveModulo(step, 10) AS bucket,
    count() AS count,
    countIf(isFinite(value)) AS finite_count,
    sumIf(value, isFinite(value)) AS sum,
    min(if(isFinite(value), value, inf)) AS min,
    max(if(isFinite(value), value, -inf)) AS max,
    argMinState(step, if(isFinite(value), value, inf)) AS min_step,
    argMinState(toUnixTimestamp64Milli(timestamp), if(isFinite(value), value, inf)) AS min_ts,
    argMaxState(step, if(isFinite(value), value, -inf)) AS max_step,
    argMaxState(toUnixTimestamp64Milli(timestamp), if(isFinite(value), value, -inf)) AS max_ts,
    min(step) AS first_step,
    argMinState(value, step) AS first,
    argMinState(toUnixTimestamp64Milli(timestamp), step) AS first_ts,
    max(step) AS last_step,
    argMaxState(value, step) AS last
FROM {{database}}.metric_points
GROUP BY run_id, key, bucket;

-- From here on every insert into metric_points fills the rollups in the same insert.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.metric_rollup_10_mv TO {{database}}.metric_rollup_10 AS
SELECT
    run_id,
    key,
    step - positiveModulo(step, 10) AS bucket,
    count() AS count,
    countIf(isFinite(value)) AS finite_count,
    sumIf(value, isFinite(value)) AS sum,
    min(if(isFinite(value), value, inf)) AS min,
    max(if(isFinite(value), value, -inf)) AS max,
    argMinState(step, if(isFinite(value), value, inf)) AS min_step,
    argMinState(toUnixTimestamp64Milli(timestamp), if(isFinite(value), value, inf)) AS min_ts,
    argMaxState(step, if(isFinite(value), value, -inf)) AS max_step,
    argMaxState(toUnixTimestamp64Milli(timestamp), if(isFinite(value), value, -inf)) AS max_ts,
    min(step) AS first_step,
    argMinState(value, step) AS first,
    argMinState(toUnixTimestamp64Milli(timestamp), step) AS first_ts,
    max(step) AS last_step,
    argMaxState(value, step) AS last
FROM {{database}}.metric_points
GROUP BY run_id, key, bucket;
