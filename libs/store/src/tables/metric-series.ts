import type { ClickHouse } from '../clickhouse';
import { metricValue } from '../queries/run.queries';
import { measuredRows } from './measured-query';
import {
  getRollupSeriesBounds,
  getRollupSeriesBuckets,
  type SeriesBucketRow,
  type StepRange,
} from './metric-rollups.table';
import {
  bucketStart,
  planSeriesRead,
  rawBucketWidth,
  READ_ROWS_PER_POINT,
  type SeriesBounds,
} from './series-resolution';

export interface MetricPoint {
  step: number;
  value: number;
  timestamp: number;
}

export interface MetricSeries {
  points: MetricPoint[];
  /** Points in the series (in the range: counted over the whole rollup buckets read, when a rollup answered). */
  totalPoints: number;
  downsampled: boolean;
  /** Steps per stored row the answer was computed from: 1 for raw points, else the rollup's bucket width. */
  resolution: number;
  /** Rows ClickHouse read to answer, over every query it took. */
  rowsRead: number;
  /**
   * The steps the points summarise, cut into buckets of `bucketWidth` steps from `fromStep` (1: every point);
   * null when there is no point. A rollup answers for whole rollup buckets, so a range may widen to their edges.
   */
  span: SeriesSpan | null;
}

export interface SeriesSpan {
  fromStep: number;
  toStep: number;
  bucketWidth: number;
}

export interface MetricSeriesQuery extends StepRange {
  runId: string;
  key: string;
  /** At least 2. */
  maxPoints: number;
}

type RawNumber = string | number;

/**
 * At most `maxPoints` points of one series (within [fromStep, toStep] when given). Past that, steps are cut into
 * maxPoints/2 buckets and each bucket gives its minimum and its maximum finite point, so a spike is never averaged
 * away on a chart; a bucket of NaN or infinities alone gives its first point, as logged. Long series are answered
 * from the rollups (series-resolution.ts), so the rows read stay O(maxPoints) whatever the run holds.
 */
export async function getMetricSeries(ch: ClickHouse, query: MetricSeriesQuery): Promise<MetricSeries> {
  const range: StepRange = { fromStep: query.fromStep, toStep: query.toStep };
  const summary = await getRollupSeriesBounds(ch, query.runId, query.key, range);
  const [found] = summary.rows;
  const rowsRead = summary.rowsRead;
  const bounds: SeriesBounds = {
    lo: Math.max(Number(found?.lo ?? 0), query.fromStep ?? -Infinity),
    hi: Math.min(Number(found?.hi ?? 0), query.toStep ?? Infinity),
    points: Number(found?.points ?? 0),
  };
  if (bounds.points === 0 || bounds.lo > bounds.hi) return empty(rowsRead);
  const plan = planSeriesRead(bounds, query.maxPoints);
  if (plan.source === 'raw') return readRawSeries(ch, query, bounds, rowsRead);
  const buckets = await getRollupSeriesBuckets(ch, { ...query, ...plan, hi: bounds.hi });
  const zoomed = query.fromStep !== undefined || query.toStep !== undefined;
  const inBuckets = buckets.rows.reduce((sum, row) => sum + Number(row.points), 0);
  if (zoomed && inBuckets <= query.maxPoints * READ_ROWS_PER_POINT) {
    // The coarse bounds counted whole 10,000-step buckets around the range; the chosen rollup's buckets count
    // (up to two partial edge buckets) what lies in it: few enough points are read raw, exactly as asked.
    const fewer = { ...bounds, points: inBuckets };
    return readRawSeries(ch, query, fewer, rowsRead + buckets.rowsRead);
  }
  return {
    points: buckets.rows.flatMap(bucketPoints),
    totalPoints: buckets.rows.reduce((sum, row) => sum + Number(row.points), 0),
    downsampled: true,
    resolution: plan.resolution,
    rowsRead: rowsRead + buckets.rowsRead,
    span: {
      fromStep: plan.origin,
      toStep: bucketStart(bounds.hi, plan.resolution) + plan.resolution - 1,
      bucketWidth: plan.width,
    },
  };
}

function empty(rowsRead: number): MetricSeries {
  return { points: [], totalPoints: 0, downsampled: false, resolution: 1, rowsRead, span: null };
}

async function readRawSeries(
  ch: ClickHouse,
  query: MetricSeriesQuery,
  estimate: SeriesBounds,
  rowsReadBefore: number,
): Promise<MetricSeries> {
  let rowsRead = rowsReadBefore;
  let bounds = estimate;
  // Without a range the rollups counted every point exactly; a range cuts rollup buckets, so count the raw points.
  if (query.fromStep !== undefined || query.toStep !== undefined) {
    const exact = await getRawSeriesBounds(ch, query.runId, query.key, estimate);
    rowsRead += exact.rowsRead;
    const [found] = exact.rows;
    bounds = { lo: Number(found.lo), hi: Number(found.hi), points: Number(found.points) };
    if (bounds.points === 0) return empty(rowsRead);
  }
  const params = { runId: query.runId, key: query.key, lo: bounds.lo, hi: bounds.hi };
  if (bounds.points <= query.maxPoints) {
    const raw = await getRawPoints(ch, params);
    return {
      points: raw.rows.map((row) => ({
        step: Number(row.step),
        value: metricValue(row.value),
        timestamp: Number(row.timestamp),
      })),
      totalPoints: bounds.points,
      downsampled: false,
      resolution: 1,
      rowsRead: rowsRead + raw.rowsRead,
      span: { fromStep: bounds.lo, toStep: bounds.hi, bucketWidth: 1 },
    };
  }
  const width = rawBucketWidth(bounds, query.maxPoints);
  const buckets = await getRawSeriesBuckets(ch, { ...params, width });
  return {
    points: buckets.rows.flatMap(bucketPoints),
    totalPoints: bounds.points,
    downsampled: true,
    resolution: 1,
    rowsRead: rowsRead + buckets.rowsRead,
    span: { fromStep: bounds.lo, toStep: bounds.hi, bucketWidth: width },
  };
}

/** The extremes of a bucket in step order, once when they are the same point; its first point when none is finite. */
function bucketPoints(row: SeriesBucketRow): MetricPoint[] {
  if (Number(row.finite) === 0) {
    return [
      { step: Number(row.firstStep), value: metricValue(row.firstValue), timestamp: Number(row.firstTs) },
    ];
  }
  const low = { step: Number(row.minStep), value: metricValue(row.minValue), timestamp: Number(row.minTs) };
  const high = { step: Number(row.maxStep), value: metricValue(row.maxValue), timestamp: Number(row.maxTs) };
  if (low.step === high.step && low.value === high.value) return [low];
  return low.step <= high.step ? [low, high] : [high, low];
}

const RAW_WHERE = `run_id = {runId:String} AND key = {key:String} AND step >= {lo:Int64} AND step <= {hi:Int64}`;

interface RawRange {
  runId: string;
  key: string;
  lo: number;
  hi: number;
}

/** Raw reads of metric_points, made only when the points they touch are within the series' read budget. */
function getRawSeriesBounds(
  ch: ClickHouse,
  runId: string,
  key: string,
  range: Pick<SeriesBounds, 'lo' | 'hi'>,
) {
  return measuredRows<{ lo: RawNumber; hi: RawNumber; points: RawNumber }>(
    ch,
    'getRawSeriesBounds',
    `SELECT min(step) AS lo, max(step) AS hi, count() AS points FROM ${ch.database}.metric_points WHERE ${RAW_WHERE}`,
    { runId, key, lo: range.lo, hi: range.hi },
  );
}

function getRawPoints(ch: ClickHouse, range: RawRange) {
  return measuredRows<{ step: RawNumber; value: RawNumber; timestamp: RawNumber }>(
    ch,
    'getRawPoints',
    `SELECT step, value, toUnixTimestamp64Milli(timestamp) AS timestamp FROM ${ch.database}.metric_points
     WHERE ${RAW_WHERE} ORDER BY step, timestamp`,
    { ...range },
  );
}

function getRawSeriesBuckets(ch: ClickHouse, range: RawRange & { width: number }) {
  return measuredRows<SeriesBucketRow>(
    ch,
    'getRawSeriesBuckets',
    `SELECT intDiv(step - {lo:Int64}, {width:Int64}) AS slot, count() AS points, countIf(isFinite(value)) AS finite,
       argMinIf(step, value, isFinite(value)) AS minStep, minIf(value, isFinite(value)) AS minValue,
       argMinIf(toUnixTimestamp64Milli(timestamp), value, isFinite(value)) AS minTs,
       argMaxIf(step, value, isFinite(value)) AS maxStep, maxIf(value, isFinite(value)) AS maxValue,
       argMaxIf(toUnixTimestamp64Milli(timestamp), value, isFinite(value)) AS maxTs,
       min(step) AS firstStep, argMin(value, step) AS firstValue,
       argMin(toUnixTimestamp64Milli(timestamp), step) AS firstTs
     FROM ${ch.database}.metric_points WHERE ${RAW_WHERE} GROUP BY slot ORDER BY slot`,
    { ...range },
  );
}
