-- Experiment tags (issue 16: MLflow's experiment tags, set and deleted per key by `experiment.tags_set` and
-- `experiment.tags_deleted`). The experiment's row is its whole snapshot (ReplacingMergeTree), so its tags ride in
-- it as one JSON object: an experiment has few tags, and they are read with the experiment.

ALTER TABLE {{database}}.experiments ADD COLUMN IF NOT EXISTS tags_json String DEFAULT '{}';
