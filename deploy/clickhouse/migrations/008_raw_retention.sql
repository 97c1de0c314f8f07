-- Retention of raw metric points (issue 11). An experiment's `experiment.retention_set` event gives the age, in
-- days by each point's timestamp, past which its raw points leave metric_points; 0 keeps them for ever (the
-- default). The rollups and metric_summary are filled by views at insert time and have no TTL, so old charts still
-- draw from them: only zooming below the finest rollup is lost, and a series read says when raw points are gone.

ALTER TABLE {{database}}.experiments ADD COLUMN IF NOT EXISTS raw_points_max_age_days UInt32 DEFAULT 0 AFTER archived;

-- Each run's age limit, from its experiment: only runs of experiments that set one. The projector reloads it when
-- an age changes (and then materializes the TTL); the lifetime picks up runs created since. It reads the store as
-- the user the migrating process connects as (a server whose `default` user is gone would refuse it, and every
-- insert into metric_points computes its TTL from it).
CREATE DICTIONARY IF NOT EXISTS {{database}}.run_raw_retention
(
    run_id String,
    days UInt32
)
PRIMARY KEY run_id
SOURCE(CLICKHOUSE(USER {{user}} PASSWORD {{password}} QUERY 'SELECT run_id, days FROM {{database}}.runs FINAL INNER JOIN (SELECT experiment_id, raw_points_max_age_days AS days FROM {{database}}.experiments FINAL WHERE raw_points_max_age_days > 0) AS limited USING experiment_id'))
LIFETIME(MIN 60 MAX 300)
LAYOUT(COMPLEX_KEY_HASHED());

-- A row expires at timestamp + its run's days; a run without a limit gets a date past any merge. The expiry is
-- kept within DateTime's range (1970–2106), where the parts' TTL bookkeeping holds it without wrapping. The
-- dictionary lookup is why the expression counts as suspicious; materializing it over existing rows is left to the
-- first age that is set (there is none yet).
ALTER TABLE {{database}}.metric_points MODIFY TTL toDateTime(least(greatest(if(dictGetOrDefault('{{database}}.run_raw_retention', 'days', tuple(run_id), toUInt32(0)) = 0, toDateTime64('2105-12-31 00:00:00', 3, 'UTC'), timestamp + toIntervalDay(dictGetOrDefault('{{database}}.run_raw_retention', 'days', tuple(run_id), toUInt32(0)))), toDateTime64('1970-01-02 00:00:00', 3, 'UTC')), toDateTime64('2105-12-31 00:00:00', 3, 'UTC')), 'UTC') SETTINGS allow_suspicious_ttl_expressions = 1, materialize_ttl_after_modify = 0;
