import { int64, type ClickhouseReader, type MeasuredRows } from '../ports';
import { bucketStart, ROLLUP_RESOLUTIONS, type RollupResolution } from './series-resolution';

/**
 * metric_rollup_<resolution> (migration 007): per (run, key, bucket of `resolution` steps) the summary of the
 * points in it. Written only by materialized views (metric_points → _10 → _100 → _1000 → _10000): nothing in
 * TypeScript inserts here, and a replay of metric_points rebuilds them. Rows of one bucket may sit in several
 * parts until a merge, so every read aggregates.
 */
export interface MetricRollupRow {
  runId: string;
  key: string;
  /** First step of the bucket. */
  bucket: number;
  count: number;
  finiteCount: number;
  /** Over finite values; with count, the bucket's average. */
  sum: number;
  /** Finite extremes and where they are; +inf / -inf when the bucket has no finite value. */
  min: number;
  minStep: number;
  minTimestamp: number;
  max: number;
  maxStep: number;
  maxTimestamp: number;
  firstStep: number;
  first: number;
  firstTimestamp: number;
  lastStep: number;
  last: number;
}

/** In DDL order: must match the tables in deploy/clickhouse/migrations (007). */
export const METRIC_ROLLUP_COLUMNS = [
  'run_id',
  'key',
  'bucket',
  'count',
  'finite_count',
  'sum',
  'min',
  'max',
  'min_step',
  'min_ts',
  'max_step',
  'max_ts',
  'first_step',
  'first',
  'first_ts',
  'last_step',
  'last',
] as const;

export function rollupTable(reader: ClickhouseReader, resolution: RollupResolution): string {
  return `${reader.database}.metric_rollup_${resolution}`;
}

export const COARSEST_RESOLUTION = ROLLUP_RESOLUTIONS[ROLLUP_RESOLUTIONS.length - 1];

export interface StepRange {
  fromStep?: number;
  toStep?: number;
}

type RawNumber = string | number;

/**
 * First and last step and the point count of a series (within `range`, counted over the coarsest buckets that
 * overlap it), from the coarsest rollup: at most span / 10,000 rows, whatever the raw size.
 */
export async function getRollupSeriesBounds(
  reader: ClickhouseReader,
  runId: string,
  key: string,
  range: StepRange,
): Promise<MeasuredRows<{ lo: RawNumber; hi: RawNumber; points: RawNumber }>> {
  const where = ['run_id = {runId:String}', 'key = {key:String}'];
  if (range.fromStep !== undefined) where.push('bucket >= {fromBucket:Int64}');
  if (range.toStep !== undefined) where.push('bucket <= {toStep:Int64}');
  return reader.queryMeasured({
    name: 'getRollupSeriesBounds',
    sql: `SELECT min(first_step) AS lo, max(last_step) AS hi, sum(count) AS points
     FROM ${rollupTable(reader, COARSEST_RESOLUTION)} WHERE ${where.join(' AND ')}`,
    params: {
      runId,
      key,
      ...(range.fromStep !== undefined && {
        fromBucket: int64(bucketStart(range.fromStep, COARSEST_RESOLUTION)),
      }),
      ...(range.toStep !== undefined && { toStep: int64(range.toStep) }),
    },
  });
}

/** One returned bucket of a series: its finite extremes (with step and time) and its first point. */
export interface SeriesBucketRow {
  points: RawNumber;
  finite: RawNumber;
  minStep: RawNumber;
  minValue: RawNumber;
  minTs: RawNumber;
  maxStep: RawNumber;
  maxValue: RawNumber;
  maxTs: RawNumber;
  firstStep: RawNumber;
  firstValue: RawNumber;
  firstTs: RawNumber;
}

export interface RollupBucketsQuery {
  runId: string;
  key: string;
  resolution: RollupResolution;
  /** First step of the first returned bucket, a multiple of `resolution`. */
  origin: number;
  /** Steps per returned bucket, a multiple of `resolution`. */
  width: number;
  /** Last step wanted: rollup buckets starting after it are not read. */
  hi: number;
}

/** Rollup buckets merged into buckets of `width` steps: each returned bucket is a union of whole rollup buckets. */
export async function getRollupSeriesBuckets(
  reader: ClickhouseReader,
  query: RollupBucketsQuery,
): Promise<MeasuredRows<SeriesBucketRow>> {
  return reader.queryMeasured({
    name: 'getRollupSeriesBuckets',
    sql: `SELECT intDiv(bucket - {origin:Int64}, {width:Int64}) AS slot, sum(count) AS points,
       sum(finite_count) AS finite,
       argMinMerge(min_step) AS minStep, min(min) AS minValue, argMinMerge(min_ts) AS minTs,
       argMaxMerge(max_step) AS maxStep, max(max) AS maxValue, argMaxMerge(max_ts) AS maxTs,
       min(first_step) AS firstStep, argMinMerge(first) AS firstValue, argMinMerge(first_ts) AS firstTs
     FROM ${rollupTable(reader, query.resolution)}
     WHERE run_id = {runId:String} AND key = {key:String} AND bucket >= {origin:Int64} AND bucket <= {hi:Int64}
     GROUP BY slot ORDER BY slot`,
    params: {
      runId: query.runId,
      key: query.key,
      origin: int64(query.origin),
      width: int64(query.width),
      hi: int64(query.hi),
    },
  });
}
