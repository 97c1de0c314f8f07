-- Deleted model versions (issue 16: MLflow's delete-model-version). A model's versions are rows of its state by
-- version; a deleted version keeps its row, marked, so the reads that start from a run (which versions came from
-- it, lineage) stop finding it while its history stays in the log.

ALTER TABLE {{database}}.model_versions ADD COLUMN IF NOT EXISTS version_status LowCardinality(String) DEFAULT 'active';
