import type { ClickhouseReader } from '../ports';
import { getRawPoints, getRawSeriesBounds, getRawSeriesBuckets, metricValue } from './metric-points.table';
import {
  getRollupSeriesBounds,
  getRollupSeriesBuckets,
  type SeriesBucketRow,
  type StepRange,
} from './metric-rollups.table';
import {
  bucketsFor,
  bucketStart,
  planSeriesRead,
  rawBucketWidth,
  READ_ROWS_PER_POINT,
  ROLLUP_RESOLUTIONS,
  type SeriesBounds,
} from './series-resolution';

const FINEST_RESOLUTION = ROLLUP_RESOLUTIONS[0];

/*
 * Reads of one series that span metric_points and the rollups: which table answers is decided per read from the
 * series' bounds (series-resolution.ts); the SQL lives in the two tables' modules.
 */

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
  /**
   * True when raw points of the range are gone (the experiment's retention, migration 008): the answer then comes
   * from the finest rollup, whose buckets still hold every logged point's count and extremes.
   */
  rawPointsExpired: boolean;
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

/**
 * At most `maxPoints` points of one series (within [fromStep, toStep] when given). Past that, steps are cut into
 * maxPoints/2 buckets and each bucket gives its minimum and its maximum finite point, so a spike is never averaged
 * away on a chart; a bucket of NaN or infinities alone gives its first point, as logged. Long series are answered
 * from the rollups (series-resolution.ts), so the rows read stay O(maxPoints) whatever the run holds.
 */
export async function getMetricSeries(
  reader: ClickhouseReader,
  query: MetricSeriesQuery,
): Promise<MetricSeries> {
  const range: StepRange = { fromStep: query.fromStep, toStep: query.toStep };
  const summary = await getRollupSeriesBounds(reader, query.runId, query.key, range);
  const [found] = summary.rows;
  const rowsRead = summary.rowsRead;
  const bounds: SeriesBounds = {
    lo: Math.max(Number(found?.lo ?? 0), query.fromStep ?? -Infinity),
    hi: Math.min(Number(found?.hi ?? 0), query.toStep ?? Infinity),
    points: Number(found?.points ?? 0),
  };
  if (bounds.points === 0 || bounds.lo > bounds.hi) return empty(rowsRead);
  const plan = planSeriesRead(bounds, query.maxPoints);
  if (plan.source === 'raw') return readRawSeries(reader, query, bounds, rowsRead);
  const buckets = await getRollupSeriesBuckets(reader, { ...query, ...plan, hi: bounds.hi });
  const zoomed = query.fromStep !== undefined || query.toStep !== undefined;
  const inBuckets = buckets.rows.reduce((sum, row) => sum + Number(row.points), 0);
  if (zoomed && inBuckets <= query.maxPoints * READ_ROWS_PER_POINT) {
    // The coarse bounds counted whole 10,000-step buckets around the range; the chosen rollup's buckets count
    // (up to two partial edge buckets) what lies in it: few enough points are read raw, exactly as asked.
    const fewer = { ...bounds, points: inBuckets };
    return readRawSeries(reader, query, fewer, rowsRead + buckets.rowsRead);
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
    rawPointsExpired: false,
  };
}

function empty(rowsRead: number): MetricSeries {
  return {
    points: [],
    totalPoints: 0,
    downsampled: false,
    resolution: 1,
    rowsRead,
    span: null,
    rawPointsExpired: false,
  };
}

/**
 * Whether raw points of [lo, hi] have left metric_points while the rollups kept them: over the whole finest-rollup
 * buckets around the range, the raw table then holds fewer points than the rollup counted. (Raw points are written
 * before their rollups, so a read racing an insert only ever sees more raw points, never fewer.)
 */
async function rawPointsMissing(
  reader: ClickhouseReader,
  query: MetricSeriesQuery,
  bounds: Pick<SeriesBounds, 'lo' | 'hi'>,
): Promise<{ missing: boolean; rowsRead: number }> {
  const lo = bucketStart(bounds.lo, FINEST_RESOLUTION);
  const hi = bucketStart(bounds.hi, FINEST_RESOLUTION) + FINEST_RESOLUTION - 1;
  const [raw, rolled] = await Promise.all([
    getRawSeriesBounds(reader, { runId: query.runId, key: query.key, lo, hi }),
    getRollupSeriesBuckets(reader, {
      runId: query.runId,
      key: query.key,
      resolution: FINEST_RESOLUTION,
      origin: lo,
      width: hi - lo + 1,
      hi,
    }),
  ]);
  const rawPoints = Number(raw.rows[0]?.points ?? 0);
  const rolledPoints = rolled.rows.reduce((sum, row) => sum + Number(row.points), 0);
  return { missing: rawPoints < rolledPoints, rowsRead: raw.rowsRead + rolled.rowsRead };
}

/** The range from the finest rollup, when its raw points are gone: every bucket's true extremes survive there. */
async function readFinestRollup(
  reader: ClickhouseReader,
  query: MetricSeriesQuery,
  bounds: Pick<SeriesBounds, 'lo' | 'hi'>,
  rowsReadBefore: number,
): Promise<MetricSeries> {
  const origin = bucketStart(bounds.lo, FINEST_RESOLUTION);
  const rows = (bucketStart(bounds.hi, FINEST_RESOLUTION) - origin) / FINEST_RESOLUTION + 1;
  const width = FINEST_RESOLUTION * Math.ceil(rows / bucketsFor(query.maxPoints));
  const buckets = await getRollupSeriesBuckets(reader, {
    runId: query.runId,
    key: query.key,
    resolution: FINEST_RESOLUTION,
    origin,
    width,
    hi: bounds.hi,
  });
  return {
    points: buckets.rows.flatMap(bucketPoints),
    totalPoints: buckets.rows.reduce((sum, row) => sum + Number(row.points), 0),
    downsampled: true,
    resolution: FINEST_RESOLUTION,
    rowsRead: rowsReadBefore + buckets.rowsRead,
    span: {
      fromStep: origin,
      toStep: bucketStart(bounds.hi, FINEST_RESOLUTION) + FINEST_RESOLUTION - 1,
      bucketWidth: width,
    },
    rawPointsExpired: true,
  };
}

async function readRawSeries(
  reader: ClickhouseReader,
  query: MetricSeriesQuery,
  estimate: SeriesBounds,
  rowsReadBefore: number,
): Promise<MetricSeries> {
  const retention = await rawPointsMissing(reader, query, estimate);
  let rowsRead = rowsReadBefore + retention.rowsRead;
  if (retention.missing) return readFinestRollup(reader, query, estimate, rowsRead);
  let bounds = estimate;
  // Without a range the rollups counted every point exactly; a range cuts rollup buckets, so count the raw points.
  if (query.fromStep !== undefined || query.toStep !== undefined) {
    const exact = await getRawSeriesBounds(reader, {
      runId: query.runId,
      key: query.key,
      lo: estimate.lo,
      hi: estimate.hi,
    });
    rowsRead += exact.rowsRead;
    const [found] = exact.rows;
    bounds = { lo: Number(found.lo), hi: Number(found.hi), points: Number(found.points) };
    if (bounds.points === 0) return empty(rowsRead);
  }
  const params = { runId: query.runId, key: query.key, lo: bounds.lo, hi: bounds.hi };
  if (bounds.points <= query.maxPoints) {
    const raw = await getRawPoints(reader, params);
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
      rawPointsExpired: false,
    };
  }
  const width = rawBucketWidth(bounds, query.maxPoints);
  const buckets = await getRawSeriesBuckets(reader, { ...params, width });
  return {
    points: buckets.rows.flatMap(bucketPoints),
    totalPoints: bounds.points,
    downsampled: true,
    resolution: 1,
    rowsRead: rowsRead + buckets.rowsRead,
    span: { fromStep: bounds.lo, toStep: bounds.hi, bucketWidth: width },
    rawPointsExpired: false,
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
