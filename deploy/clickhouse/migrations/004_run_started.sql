-- Whether a run ever started: a queued run that was killed or failed before an agent picked it up has no start
-- time, and start_time then holds its creation time (the column is not nullable). Rows written before this
-- migration are of runs that started when they were created.

ALTER TABLE {{database}}.runs ADD COLUMN IF NOT EXISTS started UInt8 DEFAULT 1;
