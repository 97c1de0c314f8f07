import type { ClickhouseReader } from '../ports';
import { metricValue } from './metric-points.table';
import { groupByRun } from './by-run';

/**
 * `metric_summary` (migrations 001, 003): per (run, key) the last value, the finite extremes and the count.
 * Written only by a materialized view of metric_points, so nothing in TypeScript inserts here; rows of one series
 * may sit in several parts until a merge, so every read aggregates.
 */
export const METRIC_SUMMARY_COLUMNS = ['run_id', 'key', 'last', 'last_step', 'min', 'max', 'count'] as const;

export interface MetricSummaryView {
  key: string;
  /** May be NaN or infinite: the value at the highest step, as logged. */
  last: number;
  lastStep: number;
  /** Over the finite values; null when the series has none. */
  min: number | null;
  max: number | null;
  count: number;
}

/** Each run's metric summaries by key, for many runs in one query. */
export async function getMetricSummaries(
  reader: ClickhouseReader,
  runIds: readonly string[],
): Promise<Map<string, MetricSummaryView[]>> {
  const found = await reader.query<Record<keyof MetricSummaryView | 'runId', string | number>>({
    name: 'getMetricSummaries',
    sql: `SELECT run_id AS runId, key, argMaxMerge(last) AS last, max(last_step) AS lastStep, min(min) AS min,
       max(max) AS max, sum(count) AS count
     FROM ${reader.database}.metric_summary WHERE run_id IN {runIds:Array(String)} GROUP BY run_id, key
     ORDER BY run_id, key`,
    params: { runIds },
  });
  return groupByRun(
    found.map((row) => {
      const min = metricValue(row.min);
      const max = metricValue(row.max);
      return {
        runId: String(row.runId),
        key: String(row.key),
        last: metricValue(row.last),
        lastStep: Number(row.lastStep),
        min: Number.isFinite(min) ? min : null,
        max: Number.isFinite(max) ? max : null,
        count: Number(row.count),
      };
    }),
  );
}
