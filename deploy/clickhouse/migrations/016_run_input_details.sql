-- A run input keeps what the client described of its data (issue 16: MLflow's dataset inputs): the schema text and
-- the profile as sent, and the input's own tags. Inputs logged before have none.

ALTER TABLE {{database}}.run_inputs ADD COLUMN IF NOT EXISTS schema_text Nullable(String);
ALTER TABLE {{database}}.run_inputs ADD COLUMN IF NOT EXISTS profile Nullable(String);
ALTER TABLE {{database}}.run_inputs ADD COLUMN IF NOT EXISTS tags_json String DEFAULT '{}';
