import type { ClickhouseReader } from '../ports';
import { metricValue } from './metric-points.table';

/** One logged point as MLflow reads it back: every point, in step then time order, with its own timestamp. */
export interface LoggedPoint {
  step: number;
  value: number;
  timestamp: number;
}

/** A page of one series' raw points, in (step, timestamp, value) order; `offset` points skipped. */
export async function getMetricHistoryPage(
  reader: ClickhouseReader,
  series: { runId: string; key: string },
  offset: number,
  limit: number,
): Promise<LoggedPoint[]> {
  const found = await reader.query<{
    step: string | number;
    value: string | number;
    timestamp: string | number;
  }>({
    name: 'getMetricHistoryPage',
    sql: `SELECT step, value, toUnixTimestamp64Milli(timestamp) AS timestamp FROM ${reader.database}.metric_points
     WHERE run_id = {runId:String} AND key = {key:String}
     ORDER BY step, timestamp, value LIMIT {limit:UInt32} OFFSET {offset:UInt64}`,
    params: { ...series, limit, offset },
  });
  return found.map((row) => ({
    step: Number(row.step),
    value: metricValue(row.value),
    timestamp: Number(row.timestamp),
  }));
}

/**
 * Each run's latest point per key, MLflow's `run.data.metrics`: the point with the highest step, then the latest
 * timestamp, then the largest value. Only the rows at each series' last step are read (metric_summary names it),
 * so a run of millions of points costs as much as one of a few.
 */
export async function getLatestMetricPoints(
  reader: ClickhouseReader,
  runIds: readonly string[],
): Promise<Map<string, (LoggedPoint & { key: string })[]>> {
  const latest = new Map<string, (LoggedPoint & { key: string })[]>();
  if (runIds.length === 0) return latest;
  const db = reader.database;
  const found = await reader.query<{
    runId: string;
    key: string;
    step: string | number;
    value: string | number;
    timestamp: string | number;
  }>({
    name: 'getLatestMetricPoints',
    sql: `SELECT run_id AS runId, key, step, value, toUnixTimestamp64Milli(timestamp) AS timestamp
     FROM ${db}.metric_points
     WHERE run_id IN {runIds:Array(String)} AND (run_id, key, step) IN (
       SELECT run_id, key, max(last_step) FROM ${db}.metric_summary WHERE run_id IN {runIds:Array(String)}
       GROUP BY run_id, key)
     ORDER BY run_id, key, timestamp DESC, value DESC LIMIT 1 BY run_id, key`,
    params: { runIds },
  });
  for (const row of found) {
    const points = latest.get(row.runId) ?? [];
    points.push({
      key: row.key,
      step: Number(row.step),
      value: metricValue(row.value),
      timestamp: Number(row.timestamp),
    });
    latest.set(row.runId, points);
  }
  return latest;
}
