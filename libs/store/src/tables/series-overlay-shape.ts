import { metricValue } from './metric-points.table';
import {
  bucketRowAt,
  type Grid,
  type LttbRow,
  type OverlayAxis,
  type OverlayBucketRow,
  type OverlayPointRow,
  type SeriesBucketLists,
} from './series-overlay-sql';
import { seriesId, type WorkerView } from './series-overlay-workers';

/* What an overlay answers (series-overlay.ts), and how a bucket row of its queries becomes part of it. */

type RawNumber = string | number;

export type OverlayMethod = 'minmax' | 'lttb' | 'raw';

export interface SeriesOverlayQuery {
  runIds: string[];
  keys: string[];
  /** Per series, at least 2: MINMAX cuts maxPoints / 2 buckets (two extremes each), LTTB keeps maxPoints. */
  maxPoints: number;
  axis: OverlayAxis;
  method: OverlayMethod;
  /** Zoom: x range, both ends included, in the axis' unit. */
  from?: number;
  to?: number;
  /** Distributed training: how the workers' points make series (series-overlay-workers.ts); 'all' by default. */
  workers?: WorkerView;
  /** False when only MINMAX buckets are wanted: points (bucket extremes, short series whole) are not read. */
  points?: boolean;
}

export interface OverlayPoint {
  x: number;
  /** Null where the method does not carry it (LTTB samples x and value only). */
  step: number | null;
  value: number;
  timestamp: number | null;
}

/** The envelope of one bucket: extremes and average of its finite values, its last point, its count. */
export interface OverlayBucket {
  x: number;
  xEnd: number;
  count: number;
  finiteCount: number;
  min: number | null;
  max: number | null;
  avg: number | null;
  last: number;
  lastX: number;
}

export interface OverlaySeries {
  runId: string;
  key: string;
  /** The `each` view: the worker whose points these are ('' the default worker); null in the other views. */
  worker: string | null;
  points: OverlayPoint[];
  /** MINMAX only: every bucket that holds a point, in x order. */
  buckets: OverlayBucket[];
  /** Points in the series within the range (over whole rollup buckets when a rollup answered). */
  totalPoints: number;
  downsampled: boolean;
  /** RAW only: more points than maxPoints lie in the range; the first maxPoints are returned. */
  truncated: boolean;
  /** Steps per stored row read: 1 for raw points, else the rollup's bucket width. */
  resolution: number;
  /** x units per bucket (MINMAX), null otherwise. */
  bucketWidth: number | null;
  /** Raw points of the range are gone (retention): the finest rollup answered. */
  rawPointsExpired: boolean;
}

export interface SeriesOverlay {
  /** The x range the series span (within the zoom), null when no series has a point. */
  from: number | null;
  to: number | null;
  rowsRead: number;
  /**
   * One per (run, key) asked, runs in the order asked and keys within each run; `each` gives one per worker of a
   * (run, key) instead, in label order (a (run, key) without points: one empty series, worker null).
   */
  series: OverlaySeries[];
}

export function emptySeries(runId: string, key: string, worker: string | null = null): OverlaySeries {
  return {
    runId,
    key,
    worker,
    points: [],
    buckets: [],
    totalPoints: 0,
    downsampled: false,
    truncated: false,
    resolution: 1,
    bucketWidth: null,
    rawPointsExpired: false,
  };
}

export function toBucket({ lists }: SeriesBucketLists, i: number, grid: Grid): OverlayBucket {
  const x = grid.lo + Number(lists.slot[i]) * grid.width;
  const finiteCount = Number(lists.finite[i]);
  const finite = finiteCount > 0;
  return {
    x,
    xEnd: x + grid.width - 1,
    count: Number(lists.points[i]),
    finiteCount,
    min: finite ? metricValue(lists.minValue[i]) : null,
    max: finite ? metricValue(lists.maxValue[i]) : null,
    avg: finite ? metricValue(lists.sum[i]) / finiteCount : null,
    last: metricValue(lists.lastValue[i]),
    lastX: Number(lists.lastX[i]),
  };
}

/** The extremes of a bucket in x order, once when they are the same point; its first point when none is finite. */
export function bucketExtremes(row: OverlayBucketRow, axis: OverlayAxis, origin: number): OverlayPoint[] {
  const point = (step: RawNumber, value: RawNumber, ts: RawNumber): OverlayPoint => {
    const timestamp = Number(ts);
    const x = axis === 'step' ? Number(step) : timestamp - origin;
    return { x, step: Number(step), value: metricValue(value), timestamp };
  };
  if (Number(row.finite) === 0) return [point(row.firstStep, row.firstValue, row.firstTs)];
  const low = point(row.minStep, row.minValue, row.minTs);
  const high = point(row.maxStep, row.maxValue, row.maxTs);
  if (low.x === high.x && low.step === high.step && low.value === high.value) return [low];
  return low.x < high.x || (low.x === high.x && (low.step ?? 0) <= (high.step ?? 0))
    ? [low, high]
    : [high, low];
}

/** A raw point as an overlay draws it. */
export function rawOverlayPoint(row: OverlayPointRow): OverlayPoint {
  return {
    x: Number(row.x),
    step: Number(row.step),
    value: metricValue(row.value),
    timestamp: Number(row.epochMs),
  };
}

/** LTTB's samples (x, value): a step axis' x is the step, a time axis' x gives the time. */
export function lttbPoints(sampled: LttbRow['sampled'], axis: OverlayAxis, origin: number): OverlayPoint[] {
  return sampled.map(([rawX, rawValue]) => {
    const x = Number(rawX);
    const value = metricValue(rawValue);
    if (axis === 'step') return { x, step: x, value, timestamp: null };
    return { x, step: null, value, timestamp: axis === 'wall_time' ? x : x + origin };
  });
}

export interface BucketedAs {
  grid: Grid;
  /** Steps per stored row the buckets were merged from. */
  resolution: number;
  axis: OverlayAxis;
  origins: ReadonlyMap<string, number> | null;
  /** Whether the buckets' extremes are drawn as points too. */
  points: boolean;
}

/** The bucket lists of many series as the series they make. */
export function bucketSeries(rows: SeriesBucketLists[], as: BucketedAs): Map<string, OverlaySeries> {
  const answered = new Map<string, OverlaySeries>();
  for (const row of rows) {
    const series: OverlaySeries = {
      ...emptySeries(row.runId, row.key, row.worker ?? null),
      downsampled: true,
      resolution: as.resolution,
      bucketWidth: as.grid.width,
    };
    answered.set(seriesId(row.runId, row.key, row.worker), series);
    const origin = as.origins?.get(row.runId) ?? 0;
    for (const i of row.order) {
      const bucket = toBucket(row, i, as.grid);
      series.buckets.push(bucket);
      series.totalPoints += bucket.count;
      if (as.points) series.points.push(...bucketExtremes(bucketRowAt(row, i), as.axis, origin));
    }
  }
  return answered;
}
