import type { ClickhouseReader, ClickhouseWriter } from '../ports';

/**
 * The `run_raw_retention` dictionary (migration 008): each run of an experiment with a raw-point age limit, and
 * that limit in days. metric_points' TTL looks rows up in it, so it must be reloaded when limits or retained runs
 * change, and the TTL materialized when a limit changes (rows already stored then expire, or stop expiring).
 */
export const RUN_RAW_RETENTION_DICTIONARY = 'run_raw_retention';

export interface RawRetentionFingerprint {
  /** Changes whenever an experiment's limit is set, changed or cleared. */
  limits: string;
  /** Changes whenever a run joins a limited experiment (or its experiment's limit is cleared). */
  runs: string;
  limitedExperiments: number;
}

export async function getRawRetentionFingerprint(reader: ClickhouseReader): Promise<RawRetentionFingerprint> {
  const db = reader.database;
  const [row] = await reader.query<{ limits: string; runs: string; limitedExperiments: number | string }>({
    name: 'getRawRetentionFingerprint',
    sql: `WITH limited AS (SELECT experiment_id, raw_points_max_age_days AS days FROM ${db}.experiments FINAL
                          WHERE raw_points_max_age_days > 0)
      SELECT (SELECT toString(count()) || ':' || toString(groupBitXor(cityHash64(experiment_id, days))) FROM limited)
               AS limits,
             (SELECT count() FROM limited) AS limitedExperiments,
             (SELECT toString(count()) || ':' || toString(groupBitXor(cityHash64(run_id))) FROM ${db}.runs FINAL
              WHERE experiment_id IN (SELECT experiment_id FROM limited)) AS runs`,
  });
  return { limits: row.limits, runs: row.runs, limitedExperiments: Number(row.limitedExperiments) };
}

export function reloadRunRawRetention(writer: ClickhouseWriter): Promise<void> {
  return writer.command({
    name: 'reloadRunRawRetention',
    sql: `SYSTEM RELOAD DICTIONARY ${writer.database}.${RUN_RAW_RETENTION_DICTIONARY}`,
  });
}

/**
 * A mutation over metric_points: rows past their run's limit are deleted, the others' expiry recomputed. `wait`:
 * answered once done (a replay compares what is left), else in the background.
 */
export function materializeRawRetention(writer: ClickhouseWriter, wait = false): Promise<void> {
  return writer.command({
    name: 'materializeRawRetention',
    sql: `ALTER TABLE ${writer.database}.metric_points MATERIALIZE TTL${wait ? ' SETTINGS mutations_sync = 2' : ''}`,
  });
}
