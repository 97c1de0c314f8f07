/**
 * Which stored resolution answers a metric series, decided from the series' bounds alone (pure; no I/O).
 *
 * A downsampled series is cut into `maxPoints / 2` buckets and each bucket gives its minimum and its maximum
 * point. Rollups (migration 007) hold those extremes per bucket of 10, 100, 1,000 and 10,000 steps, so any
 * bucket made of whole rollup buckets has exact extremes. The finest resolution whose rows over the span stay
 * within READ_ROWS_PER_POINT × maxPoints answers: the read is O(maxPoints) rows whatever the run logged. Raw
 * points are read only when there are no more of them than that bound (a short series, or a zoomed-in range).
 */

/** Step widths of the rollup tables, finest first; each is ten times the one before. */
export const ROLLUP_RESOLUTIONS = [10, 100, 1_000, 10_000] as const;
export type RollupResolution = (typeof ROLLUP_RESOLUTIONS)[number];

/**
 * Rows a series read may touch per point asked for. Resolutions step by ten and a bucket gives two points, so
 * with 5 (10 rows per bucket) the resolution chosen is never coarser than the bucket width asked for: had it
 * been, the next finer one would have had fewer than 10 rows per bucket and been chosen instead.
 */
export const READ_ROWS_PER_POINT = 5;

export interface SeriesBounds {
  /** First and last step with a point (in the range, when one is asked for). */
  lo: number;
  hi: number;
  /** Points between them: exact, or an upper bound when counted over whole rollup buckets. */
  points: number;
}

export type SeriesPlan =
  | { source: 'raw' }
  | {
      source: 'rollup';
      resolution: RollupResolution;
      /** First step of the first bucket: `lo` rounded down to the resolution. */
      origin: number;
      /** Steps per returned bucket: a whole number of rollup buckets. */
      width: number;
    };

/** `step` rounded down to a multiple of `resolution` (towards -∞, as the rollups' `positiveModulo` does). */
export function bucketStart(step: number, resolution: number): number {
  return step - (((step % resolution) + resolution) % resolution);
}

export function bucketsFor(maxPoints: number): number {
  return Math.max(1, Math.floor(maxPoints / 2));
}

export function planSeriesRead(bounds: SeriesBounds, maxPoints: number): SeriesPlan {
  const budget = READ_ROWS_PER_POINT * maxPoints;
  if (bounds.points <= budget) return { source: 'raw' };
  const rowsAt = (resolution: number) =>
    (bucketStart(bounds.hi, resolution) - bucketStart(bounds.lo, resolution)) / resolution + 1;
  // A span too long for even the coarsest rollup to fit the budget still reads it: span / 10,000 rows at most.
  const resolution =
    ROLLUP_RESOLUTIONS.find((candidate) => rowsAt(candidate) <= budget) ??
    ROLLUP_RESOLUTIONS[ROLLUP_RESOLUTIONS.length - 1];
  const rows = rowsAt(resolution);
  return {
    source: 'rollup',
    resolution,
    origin: bucketStart(bounds.lo, resolution),
    width: resolution * Math.ceil(rows / bucketsFor(maxPoints)),
  };
}

/** Today's raw downsampling: `maxPoints / 2` equal buckets from the first step. */
export function rawBucketWidth(bounds: Pick<SeriesBounds, 'lo' | 'hi'>, maxPoints: number): number {
  return Math.max(1, Math.ceil((bounds.hi - bounds.lo + 1) / bucketsFor(maxPoints)));
}
