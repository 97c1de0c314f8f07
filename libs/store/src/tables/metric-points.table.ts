import type { MetricValue } from '../../../events/src/run.events';
import { int64, sqlString, type ClickhouseReader, type ClickhouseWriter, type MeasuredRows } from '../ports';
import { LOG_POSITION_COLUMNS, type LogPosition } from './log-position';
import type { MetricPointColumns } from './metric-point-columns';
import { recordProjectionIntent } from './projection-intents.table';
import type { SeriesBucketRow } from './metric-rollups.table';

/**
 * `metric_points`: every logged point, as written (MergeTree). The rollups and metric_summary are filled from it
 * by materialized views. Its rows are built column by column (MetricPointColumns), without row objects.
 */
export interface MetricPointRow {
  runId: string;
  key: string;
  step: number;
  value: MetricValue;
  timestamp: number;
  position: LogPosition;
  /** The process of a distributed job that logged it ('' for the default worker). */
  worker: string;
}

/** The columns before 010 added `worker`: an insert naming only these gives its points the default worker (''). */
export const UNLABELLED_METRIC_POINT_COLUMNS = [
  'run_id',
  'key',
  'step',
  'value',
  'timestamp',
  ...LOG_POSITION_COLUMNS,
] as const;

/** In DDL order: must match the table in deploy/clickhouse/migrations (001, and 010 added `worker` last). */
export const METRIC_POINT_COLUMNS = [...UNLABELLED_METRIC_POINT_COLUMNS, 'worker'] as const;

/**
 * One insert of the columns' rows (none: no insert), deduplicated by `token` (migration 009): the partition's
 * projection intent is recorded first, so that after a crash the same insert can be made again, and the views
 * that missed its block get it. `token` defaults to the columns' own; a recovery passes the intent's.
 */
export async function insertMetricPoints(
  writer: ClickhouseWriter,
  points: MetricPointColumns,
  token = points.deduplicationToken(),
): Promise<void> {
  if (points.length === 0) return;
  await recordProjectionIntent(writer, {
    topic: points.topic,
    partition: points.partition,
    firstOffset: points.firstOffset,
    lastOffset: points.lastOffset,
    rows: points.length,
    token,
  });
  // An insert of the default worker's points only (every run not logged by a distributed job) leaves `worker` to
  // its DEFAULT: the engine fills a constant instead of copying a label through the join for every point.
  const labelled = points.labelled;
  await writer.insertColumns({
    name: 'insertMetricPoints',
    table: 'metric_points',
    columns: labelled ? METRIC_POINT_COLUMNS : UNLABELLED_METRIC_POINT_COLUMNS,
    rows: points.length,
    arrow: points.arrowTables(),
    // Read back in the columns' order; the series' strings joined on by index (a small right side).
    select: (sources) => `SELECT s_run_id, s_key, toInt64(p_step), p_value,
       fromUnixTimestamp64Milli(toInt64(p_time), 'UTC'), ${sqlString(points.topic)}, toUInt32(${points.partition}),
       toUInt64(p_offset)${labelled ? ', s_worker' : ''}
     FROM ${sources.points} AS p INNER JOIN ${sources.series} AS s ON p.p_series = s.s_index`,
    arrowStream: () => points.arrowStream(),
    settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: '1' },
  });
}

/** Worker labels one run lists at most: a job has far fewer processes; the cap keeps the answer bounded. */
export const MAX_LISTED_WORKERS = 1000;

/**
 * The worker labels of a run's points, in label order ('' is the default worker). It reads the run's `worker`
 * column, a LowCardinality one, so its cost follows the run's raw points but stays small per point.
 */
export async function getRunWorkers(
  reader: ClickhouseReader,
  runIds: readonly string[],
): Promise<Map<string, string[]>> {
  const rows = await reader.query<{ runId: string; worker: string }>({
    name: 'getRunWorkers',
    sql: `SELECT run_id AS runId, worker FROM ${reader.database}.metric_points WHERE run_id IN {runIds:Array(String)}
     GROUP BY run_id, worker ORDER BY run_id, worker LIMIT ${MAX_LISTED_WORKERS} BY run_id`,
    params: { runIds },
  });
  const byRun = new Map<string, string[]>();
  for (const { runId, worker } of rows) byRun.set(runId, [...(byRun.get(runId) ?? []), worker]);
  return byRun;
}

/** Metric values as ClickHouse writes them with output_format_json_quote_denormals: numbers or nan / inf / -inf. */
export function metricValue(raw: string | number): number {
  if (typeof raw === 'number') return raw;
  if (raw === 'nan' || raw === '-nan') return NaN;
  if (raw === 'inf' || raw === '+inf') return Infinity;
  if (raw === '-inf') return -Infinity;
  return Number(raw);
}

type RawNumber = string | number;

/** Steps of one series, both ends included. */
export interface RawStepRange {
  runId: string;
  key: string;
  lo: number;
  hi: number;
}

const rangeParams = ({ runId, key, lo, hi }: RawStepRange) => ({ runId, key, lo: int64(lo), hi: int64(hi) });

const RAW_WHERE = `run_id = {runId:String} AND key = {key:String} AND step >= {lo:Int64} AND step <= {hi:Int64}`;

/*
 * Raw reads of a series, made (by metric-series.ts) only when the points they touch are within the series' read
 * budget: the rollups answer everything longer.
 */

export function getRawSeriesBounds(
  reader: ClickhouseReader,
  range: RawStepRange,
): Promise<MeasuredRows<{ lo: RawNumber; hi: RawNumber; points: RawNumber }>> {
  return reader.queryMeasured({
    name: 'getRawSeriesBounds',
    sql: `SELECT min(step) AS lo, max(step) AS hi, count() AS points FROM ${reader.database}.metric_points WHERE ${RAW_WHERE}`,
    params: rangeParams(range),
  });
}

export function getRawPoints(
  reader: ClickhouseReader,
  range: RawStepRange,
): Promise<MeasuredRows<{ step: RawNumber; value: RawNumber; timestamp: RawNumber }>> {
  return reader.queryMeasured({
    name: 'getRawPoints',
    sql: `SELECT step, value, toUnixTimestamp64Milli(timestamp) AS timestamp FROM ${reader.database}.metric_points
     WHERE ${RAW_WHERE} ORDER BY step, timestamp`,
    params: rangeParams(range),
  });
}

/** The series cut into buckets of `width` steps from `lo`: per bucket its finite extremes and its first point. */
export function getRawSeriesBuckets(
  reader: ClickhouseReader,
  range: RawStepRange & { width: number },
): Promise<MeasuredRows<SeriesBucketRow>> {
  return reader.queryMeasured({
    name: 'getRawSeriesBuckets',
    sql: `SELECT intDiv(step - {lo:Int64}, {width:Int64}) AS slot, count() AS points, countIf(isFinite(value)) AS finite,
       argMinIf(step, value, isFinite(value)) AS minStep, minIf(value, isFinite(value)) AS minValue,
       argMinIf(toUnixTimestamp64Milli(timestamp), value, isFinite(value)) AS minTs,
       argMaxIf(step, value, isFinite(value)) AS maxStep, maxIf(value, isFinite(value)) AS maxValue,
       argMaxIf(toUnixTimestamp64Milli(timestamp), value, isFinite(value)) AS maxTs,
       min(step) AS firstStep, argMin(value, step) AS firstValue,
       argMin(toUnixTimestamp64Milli(timestamp), step) AS firstTs
     FROM ${reader.database}.metric_points WHERE ${RAW_WHERE} GROUP BY slot ORDER BY slot`,
    params: { ...rangeParams(range), width: int64(range.width) },
  });
}
