-- Distributed training (issue 12): several processes of one job (ranks, nodes) log into one run, each batch with
-- the `worker` label its SDK set. Points keep it so a series can be read per worker or aggregated across workers
-- at each step. '' is the default worker: every point logged before this migration, and every batch without a
-- label. The column is added last (the DDL order METRIC_POINT_COLUMNS follows) and left out of the sorting key: a
-- read per worker still selects one (run, key) range and filters it, and the rollups and metric_summary, which
-- are across workers, do not change.

ALTER TABLE {{database}}.metric_points ADD COLUMN IF NOT EXISTS worker LowCardinality(String) DEFAULT '';
