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

/** A logged point of one of several runs, as MLflow's bulk reads answer it. */
export interface RunLoggedPoint extends LoggedPoint {
  runId: string;
}

type RawRunPoint = {
  runId: string;
  step: string | number;
  value: string | number;
  timestamp: string | number;
};
const toRunPoint = (row: RawRunPoint): RunLoggedPoint => ({
  runId: row.runId,
  step: Number(row.step),
  value: metricValue(row.value),
  timestamp: Number(row.timestamp),
});

/** One key's raw points of several runs, by run, then step, time and value; the first `limit` of them. */
export async function getMetricHistoryBulk(
  reader: ClickhouseReader,
  series: { runIds: readonly string[]; key: string },
  limit: number,
): Promise<RunLoggedPoint[]> {
  if (series.runIds.length === 0) return [];
  const found = await reader.query<RawRunPoint>({
    name: 'getMetricHistoryBulk',
    sql: `SELECT run_id AS runId, step, value, toUnixTimestamp64Milli(timestamp) AS timestamp
     FROM ${reader.database}.metric_points WHERE run_id IN {runIds:Array(String)} AND key = {key:String}
     ORDER BY run_id, step, timestamp, value LIMIT {limit:UInt32}`,
    params: { runIds: series.runIds, key: series.key, limit },
  });
  return found.map(toRunPoint);
}

/**
 * MLflow's sampled history of one key over several runs (get-history-bulk-interval): of the steps any of the runs
 * logged in the range, every ceil(n / maxResults)-th from the first, plus every run's last step in the range (one
 * set of steps for all the runs, as MLflow's); every point of each run at those steps. The sampling runs in the engine, so a series of millions of steps sends back only the sample.
 */
export async function getSampledMetricHistory(
  reader: ClickhouseReader,
  series: { runIds: readonly string[]; key: string; startStep?: number; endStep?: number },
  maxResults: number,
): Promise<RunLoggedPoint[]> {
  if (series.runIds.length === 0) return [];
  const db = reader.database;
  const bounded =
    series.startStep === undefined ? {} : { startStep: series.startStep, endStep: series.endStep };
  const inRange =
    `run_id IN {runIds:Array(String)} AND key = {key:String}` +
    (series.startStep === undefined ? '' : ' AND step BETWEEN {startStep:Int64} AND {endStep:Int64}');
  const found = await reader.query<RawRunPoint>({
    name: 'getSampledMetricHistory',
    sql: `WITH sampled AS (
       SELECT step FROM (
         SELECT step, row_number() OVER (ORDER BY step) - 1 AS i, count() OVER () AS n
         FROM (SELECT DISTINCT step FROM ${db}.metric_points WHERE ${inRange}))
       WHERE i % toUInt64(ceil(n / {maxResults:UInt32})) = 0),
     last_steps AS (SELECT run_id, max(step) AS last_step FROM ${db}.metric_points WHERE ${inRange} GROUP BY run_id)
     SELECT run_id AS runId, step, value, toUnixTimestamp64Milli(timestamp) AS timestamp
     FROM ${db}.metric_points
     WHERE ${inRange} AND (step IN (SELECT step FROM sampled) OR step IN (SELECT last_step FROM last_steps))
     ORDER BY indexOf({runIds:Array(String)}, run_id), step, timestamp, value LIMIT {perRun:UInt32} BY run_id`,
    // Bounded per run: a run that logged a million points at one step (MLflow's default step is 0) sends a page.
    params: { runIds: series.runIds, key: series.key, maxResults, perRun: 2 * maxResults + 100, ...bounded },
  });
  return found.map(toRunPoint);
}
