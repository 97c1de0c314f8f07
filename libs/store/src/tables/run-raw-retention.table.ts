import { readTimeout, type ClickHouse } from '../clickhouse';

/**
 * The `run_raw_retention` dictionary (migration 008): each run of an experiment with a raw-point age limit, and
 * that limit in days. metric_points' TTL looks rows up in it, so it must be reloaded when limits or retained runs
 * change, and the TTL materialized when a limit changes (rows already stored then expire, or stop expiring).
 */
export const RUN_RAW_RETENTION_DICTIONARY = 'run_raw_retention';

export interface RawRetentionFingerprint {
  /** Changes whenever an experiment's limit is set, changed or cleared. */
  limits: string;
  /** Changes whenever a run joins (or leaves) a limited experiment. */
  runs: string;
  limitedExperiments: number;
}

export async function getRawRetentionFingerprint(ch: ClickHouse): Promise<RawRetentionFingerprint> {
  const db = ch.database;
  const result = await ch.client.query({
    query: `WITH limited AS (SELECT experiment_id, raw_points_max_age_days AS days FROM ${db}.experiments FINAL
                            WHERE raw_points_max_age_days > 0)
      SELECT (SELECT toString(count()) || ':' || toString(groupBitXor(cityHash64(experiment_id, days))) FROM limited)
               AS limits,
             (SELECT count() FROM limited) AS limitedExperiments,
             (SELECT toString(count()) || ':' || toString(groupBitXor(cityHash64(run_id))) FROM ${db}.runs FINAL
              WHERE experiment_id IN (SELECT experiment_id FROM limited)) AS runs`,
    format: 'JSONEachRow',
    abort_signal: readTimeout(),
  });
  const [row] = await result.json<{ limits: string; runs: string; limitedExperiments: number | string }>();
  return { limits: row.limits, runs: row.runs, limitedExperiments: Number(row.limitedExperiments) };
}

export async function reloadRunRawRetention(ch: ClickHouse): Promise<void> {
  await named('reloadRunRawRetention', () =>
    ch.client.command({ query: `SYSTEM RELOAD DICTIONARY ${ch.database}.${RUN_RAW_RETENTION_DICTIONARY}` }),
  );
}

/** A mutation over metric_points: rows past their run's limit are deleted, the others' expiry recomputed. */
export async function materializeRawRetention(ch: ClickHouse): Promise<void> {
  await named('materializeRawRetention', () =>
    ch.client.command({ query: `ALTER TABLE ${ch.database}.metric_points MATERIALIZE TTL` }),
  );
}

async function named<T>(name: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof Error) error.message = `${name}: ${error.message}`;
    throw error;
  }
}
