import { int64, type ClickhouseReader, type MeasuredRows } from '../ports';
import { rollupTable } from './metric-rollups.table';
import { bucketsBySeries, type SeriesBucketLists } from './series-overlay-bucket-lists';
import { RUN_RAW_RETENTION_DICTIONARY } from './run-raw-retention.table';
import type { RollupResolution } from './series-resolution';
import { rawPointSource, type PointSource } from './series-overlay-workers';

/*
 * The ClickHouse reads behind an overlay (series-overlay.ts): every query answers all (run, key) series of the
 * overlay at once, grouped by series, so an overlay of 100 runs is a handful of queries, not 100 × a handful.
 * Values are bound parameters; the only numbers written into the SQL are the overlay's own whole-number sizes
 * (ClickHouse does not substitute parameters inside an aggregate function's parameters or LIMIT BY).
 */

type RawNumber = string | number;

export type OverlayAxis = 'step' | 'wall_time' | 'relative_time';

export interface SeriesSelection {
  runIds: string[];
  keys: string[];
}

/** Where each run's relative time starts (epoch ms): only for the relative_time axis. */
export type RunOrigins = Map<string, number>;

export interface XRange {
  lo: number;
  hi: number;
}

const SELECTION = 'run_id IN {runIds:Array(String)} AND key IN {keys:Array(String)}';
const EPOCH_MS = 'toUnixTimestamp64Milli(timestamp)';

function selectionParams(selection: SeriesSelection) {
  return { runIds: selection.runIds, keys: selection.keys };
}

/** A size written into SQL: only whole numbers in range ever are. */
function sqlCount(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a whole count: ${n}`);
  return String(n);
}

/** The x of a raw point on `axis`, as SQL over metric_points, and the parameters it binds. */
function xOf(
  axis: OverlayAxis,
  origins: RunOrigins | null,
): { sql: string; params: Record<string, unknown> } {
  if (axis === 'step') return { sql: 'step', params: {} };
  if (axis === 'wall_time') return { sql: EPOCH_MS, params: {} };
  const runs = [...(origins ?? new Map<string, number>()).entries()];
  return {
    sql: `(${EPOCH_MS} - transform(run_id, {originRuns:Array(String)}, {originMs:Array(Int64)}, toInt64(0)))`,
    params: { originRuns: runs.map(([run]) => run), originMs: runs.map(([, ms]) => int64(ms)) },
  };
}

export interface SeriesBoundsRow {
  runId: string;
  key: string;
  worker?: string;
  lo: RawNumber;
  hi: RawNumber;
  points: RawNumber;
  /** The run's raw-point age limit (0: raw points are kept for ever). */
  retentionDays: RawNumber;
}

/** Step bounds and point counts of every series, from the coarsest rollup (counted over whole 10,000-step buckets). */
export function getStepBounds(
  reader: ClickhouseReader,
  selection: SeriesSelection,
  range: Partial<XRange>,
  coarsest: RollupResolution,
): Promise<MeasuredRows<SeriesBoundsRow>> {
  const where = [SELECTION];
  if (range.lo !== undefined) where.push('bucket >= {fromBucket:Int64}');
  if (range.hi !== undefined) where.push('bucket <= {toStep:Int64}');
  const fromBucket =
    range.lo === undefined ? undefined : range.lo - (((range.lo % coarsest) + coarsest) % coarsest);
  return reader.queryMeasured({
    name: 'getOverlayStepBounds',
    sql: `SELECT run_id AS runId, key, min(first_step) AS lo, max(last_step) AS hi, sum(count) AS points,
       any(dictGetOrDefault('${reader.database}.${RUN_RAW_RETENTION_DICTIONARY}', 'days', tuple(run_id), toUInt32(0)))
         AS retentionDays
     FROM ${rollupTable(reader, coarsest)} WHERE ${where.join(' AND ')} GROUP BY run_id, key`,
    params: {
      ...selectionParams(selection),
      ...(fromBucket !== undefined && { fromBucket: int64(fromBucket) }),
      ...(range.hi !== undefined && { toStep: int64(range.hi) }),
    },
  });
}

/** Exact x bounds and point counts of every series from raw points (within `range` when given). */
export function getRawBounds(
  reader: ClickhouseReader,
  selection: SeriesSelection,
  axis: OverlayAxis,
  origins: RunOrigins | null,
  range: Partial<XRange>,
  source: PointSource = rawPointSource(reader),
): Promise<MeasuredRows<Omit<SeriesBoundsRow, 'retentionDays'>>> {
  const x = xOf(axis, origins);
  const where = [SELECTION];
  if (range.lo !== undefined) where.push(`${x.sql} >= {lo:Int64}`);
  if (range.hi !== undefined) where.push(`${x.sql} <= {hi:Int64}`);
  return reader.queryMeasured({
    name: 'getOverlayRawBounds',
    sql: `SELECT ${source.seriesColumns}, min(${x.sql}) AS lo, max(${x.sql}) AS hi, count() AS points
     FROM ${source.from} WHERE ${where.join(' AND ')} GROUP BY ${source.seriesKey}`,
    params: {
      ...selectionParams(selection),
      ...x.params,
      ...(range.lo !== undefined && { lo: int64(range.lo) }),
      ...(range.hi !== undefined && { hi: int64(range.hi) }),
    },
  });
}

/**
 * A bucket's extreme and first points (steps and times) are the costliest columns to merge; an answer that draws
 * no points (buckets only) asks for none of them.
 */
const NO_EXTREME_POINTS =
  '0 AS minStep, 0 AS minTs, 0 AS maxStep, 0 AS maxTs, 0 AS firstStep, 0 AS firstValue, 0 AS firstTs';

export type { OverlayBucketRow, SeriesBucketLists } from './series-overlay-bucket-lists';
export { bucketRowAt } from './series-overlay-bucket-lists';

export interface Grid extends XRange {
  /** x units per bucket; buckets start at `lo`. */
  width: number;
}

/** Raw points of every series cut into the same buckets of `width` x units from `lo`. */
export function getRawBuckets(
  reader: ClickhouseReader,
  selection: SeriesSelection,
  axis: OverlayAxis,
  origins: RunOrigins | null,
  grid: Grid,
  source: PointSource = rawPointSource(reader),
  extremes = true,
): Promise<MeasuredRows<SeriesBucketLists>> {
  const x = xOf(axis, origins);
  const finite = 'isFinite(value)';
  // The last point of a bucket: the greatest x, then step, then time (a step logged twice keeps its later value).
  const order = axis === 'step' ? `(step, ${EPOCH_MS})` : `(${x.sql}, step)`;
  const extremePoints = extremes
    ? `argMinIf(step, value, ${finite}) AS minStep, argMinIf(${EPOCH_MS}, value, ${finite}) AS minTs,
       argMaxIf(step, value, ${finite}) AS maxStep, argMaxIf(${EPOCH_MS}, value, ${finite}) AS maxTs,
       argMin(step, ${order}) AS firstStep, argMin(value, ${order}) AS firstValue, argMin(${EPOCH_MS}, ${order}) AS firstTs`
    : NO_EXTREME_POINTS;
  return bucketsBySeries(reader, {
    name: 'getOverlayRawBuckets',
    series: source.seriesColumns,
    sql: `SELECT ${source.seriesColumns}, intDiv(${x.sql} - {lo:Int64}, {width:Int64}) AS slot, count() AS points,
       countIf(${finite}) AS finite, sumIf(value, ${finite}) AS sum,
       minIf(value, ${finite}) AS minValue, maxIf(value, ${finite}) AS maxValue, ${extremePoints},
       max(${x.sql}) AS lastX, argMax(value, ${order}) AS lastValue
     FROM ${source.from}
     WHERE ${SELECTION} AND ${x.sql} >= {lo:Int64} AND ${x.sql} <= {hi:Int64}
     GROUP BY ${source.seriesKey}, slot`,
    params: {
      ...selectionParams(selection),
      ...x.params,
      lo: int64(grid.lo),
      hi: int64(grid.hi),
      width: int64(grid.width),
    },
  });
}

/** Rollup buckets of every series merged into the same buckets of `width` steps from `lo` (a multiple of `resolution`). */
export function getRollupBuckets(
  reader: ClickhouseReader,
  selection: SeriesSelection,
  resolution: RollupResolution,
  grid: Grid,
  extremes = true,
): Promise<MeasuredRows<SeriesBucketLists>> {
  const extremePoints = extremes
    ? `argMinMerge(min_step) AS minStep, argMinMerge(min_ts) AS minTs,
       argMaxMerge(max_step) AS maxStep, argMaxMerge(max_ts) AS maxTs,
       min(first_step) AS firstStep, argMinMerge(first) AS firstValue, argMinMerge(first_ts) AS firstTs`
    : NO_EXTREME_POINTS;
  return bucketsBySeries(reader, {
    name: 'getOverlayRollupBuckets',
    series: 'run_id AS runId, key',
    sql: `SELECT run_id AS runId, key, intDiv(bucket - {lo:Int64}, {width:Int64}) AS slot, sum(count) AS points,
       sum(finite_count) AS finite, sum(sum) AS sum, min(min) AS minValue, max(max) AS maxValue, ${extremePoints},
       max(last_step) AS lastX, argMaxMerge(last) AS lastValue
     FROM ${rollupTable(reader, resolution)}
     WHERE ${SELECTION} AND bucket >= {lo:Int64} AND bucket <= {hi:Int64}
     GROUP BY run_id, key, slot`,
    params: {
      ...selectionParams(selection),
      lo: int64(grid.lo),
      hi: int64(grid.hi),
      width: int64(grid.width),
    },
  });
}

export interface OverlayPointRow {
  runId: string;
  key: string;
  worker?: string;
  x: RawNumber;
  step: RawNumber;
  value: RawNumber;
  epochMs: RawNumber;
}

/** Raw points of every series in x order, at most `perSeries` of each. */
export function getRawOverlayPoints(
  reader: ClickhouseReader,
  selection: SeriesSelection,
  axis: OverlayAxis,
  origins: RunOrigins | null,
  range: XRange,
  perSeries: number,
  source: PointSource = rawPointSource(reader),
): Promise<MeasuredRows<OverlayPointRow>> {
  const x = xOf(axis, origins);
  return reader.queryMeasured({
    name: 'getOverlayRawPoints',
    sql: `SELECT ${source.seriesColumns}, ${x.sql} AS x, step, value, ${EPOCH_MS} AS epochMs
     FROM ${source.from}
     WHERE ${SELECTION} AND ${x.sql} >= {lo:Int64} AND ${x.sql} <= {hi:Int64}
     ORDER BY ${source.seriesKey}, x, step, epochMs LIMIT ${sqlCount(perSeries)} BY ${source.seriesKey}`,
    params: { ...selectionParams(selection), ...x.params, lo: int64(range.lo), hi: int64(range.hi) },
  });
}

export interface LttbRow {
  runId: string;
  key: string;
  worker?: string;
  sampled: [RawNumber, RawNumber][];
}

/**
 * ClickHouse's largestTriangleThreeBuckets over the finite raw points of every series: at most `points` each.
 * NaN and infinities have no place on a triangle's area and are left out.
 */
export function getRawLttb(
  reader: ClickhouseReader,
  selection: SeriesSelection,
  axis: OverlayAxis,
  origins: RunOrigins | null,
  range: XRange,
  points: number,
  source: PointSource = rawPointSource(reader),
): Promise<MeasuredRows<LttbRow>> {
  const x = xOf(axis, origins);
  return reader.queryMeasured({
    name: 'getOverlayRawLttb',
    sql: `SELECT ${source.seriesColumns}, largestTriangleThreeBuckets(${sqlCount(points)})(${x.sql}, value) AS sampled
     FROM ${source.from}
     WHERE ${SELECTION} AND isFinite(value) AND ${x.sql} >= {lo:Int64} AND ${x.sql} <= {hi:Int64}
     GROUP BY ${source.seriesKey}`,
    params: { ...selectionParams(selection), ...x.params, lo: int64(range.lo), hi: int64(range.hi) },
  });
}

/**
 * largestTriangleThreeBuckets over a rollup's extremes: each rollup bucket with a finite value gives its minimum
 * and its maximum point, so a long series is sampled from O(span / resolution) rows, spikes included. Extremes
 * outside [lo, hi] (in the edge buckets of a zoom) are left out.
 */
export function getRollupLttb(
  reader: ClickhouseReader,
  selection: SeriesSelection,
  resolution: RollupResolution,
  range: XRange,
  points: number,
): Promise<MeasuredRows<LttbRow>> {
  const origin = range.lo - (((range.lo % resolution) + resolution) % resolution);
  return reader.queryMeasured({
    name: 'getOverlayRollupLttb',
    sql: `SELECT runId, key, largestTriangleThreeBuckets(${sqlCount(points)})(extreme.1, extreme.2) AS sampled
     FROM (
       SELECT run_id AS runId, key, bucket, sum(finite_count) AS finite,
         argMinMerge(min_step) AS minStep, min(min) AS minValue, argMaxMerge(max_step) AS maxStep, max(max) AS maxValue
       FROM ${rollupTable(reader, resolution)}
       WHERE ${SELECTION} AND bucket >= {origin:Int64} AND bucket <= {hi:Int64}
       GROUP BY run_id, key, bucket HAVING finite > 0
     ) ARRAY JOIN [(minStep, minValue), (maxStep, maxValue)] AS extreme
     WHERE extreme.1 >= {lo:Int64} AND extreme.1 <= {hi:Int64}
     GROUP BY runId, key`,
    params: {
      ...selectionParams(selection),
      origin: int64(origin),
      lo: int64(range.lo),
      hi: int64(range.hi),
    },
  });
}
