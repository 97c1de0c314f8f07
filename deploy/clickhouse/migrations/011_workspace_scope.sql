-- Identity and access (issue 13): reads are scoped to the principal's workspaces, and an id of another workspace
-- answers as unknown. Runs, experiments and sweeps keep the workspace their events were written in (the command
-- side stamps every event of a stream with the stream's workspace), so a read filters on it in the same query.
-- Everything else a read reaches (points, params, tags, inputs, artifacts, history) hangs off a run and is scoped
-- through the run. Rows projected before this migration read as 'default', the workspace every event had before
-- workspaces were checked; a store that held other workspaces is made exact by projecting the log again.
-- The columns are added last (the DDL order of RUN_COLUMNS, EXPERIMENT_COLUMNS and SWEEP_COLUMNS).

ALTER TABLE {{database}}.runs ADD COLUMN IF NOT EXISTS workspace LowCardinality(String) DEFAULT 'default';

ALTER TABLE {{database}}.experiments ADD COLUMN IF NOT EXISTS workspace LowCardinality(String) DEFAULT 'default';

ALTER TABLE {{database}}.sweeps ADD COLUMN IF NOT EXISTS workspace LowCardinality(String) DEFAULT 'default';

-- Who a principal allowed to act for others said it acted for (the client's x-runlog-actor): part of the event's
-- hash, so an auditor recomputing it from the row needs it. NULL for every other event.

ALTER TABLE {{database}}.events ADD COLUMN IF NOT EXISTS on_behalf_of Nullable(String);
