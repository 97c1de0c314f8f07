import { ValidationError } from '../../../../libs/domain/src/errors';
import { MAX_WORKERS_PER_SERIES, type SeriesOverlayQuery } from '../../../../libs/store/src';
import { DownsampleMethod, WorkerView, type SeriesRange, type SeriesXAxis } from './series.models';

/** What one overlay may ask for: the cost limit (points it may return) bounds the product on top of these. */
export const OVERLAY_LIMITS = {
  maxRuns: 100,
  maxKeys: 50,
  maxSeries: 500,
  minPoints: 2,
  maxPoints: 10_000,
  defaultPoints: 1000,
  /** EACH: workers drawn per (run, key); an overlay meeting more is refused, naming `workers`. */
  maxWorkersPerSeries: MAX_WORKERS_PER_SERIES,
} as const;

export interface OverlayArgs {
  runIds: string[];
  keys: string[];
  maxPoints: number;
  xAxis: SeriesXAxis;
  method: DownsampleMethod;
  range?: SeriesRange | null;
  workers?: WorkerView;
}

function distinct(values: string[], field: string, max: number): string[] {
  const unique = [...new Set(values)];
  if (unique.length === 0) throw new ValidationError(`${field} must name at least one`, field);
  if (unique.length > max) throw new ValidationError(`${field} may name at most ${max}`, field);
  if (unique.some((value) => value.length === 0))
    throw new ValidationError(`${field} must not hold ''`, field);
  return unique;
}

/** The overlay asked for, checked: every refusal names the argument at fault. */
export function overlayQuery(args: OverlayArgs): SeriesOverlayQuery {
  const runIds = distinct(args.runIds, 'runIds', OVERLAY_LIMITS.maxRuns);
  const keys = distinct(args.keys, 'keys', OVERLAY_LIMITS.maxKeys);
  if (runIds.length * keys.length > OVERLAY_LIMITS.maxSeries) {
    throw new ValidationError(`runIds × keys may be at most ${OVERLAY_LIMITS.maxSeries} series`, 'keys');
  }
  const { minPoints, maxPoints } = OVERLAY_LIMITS;
  if (!Number.isInteger(args.maxPoints) || args.maxPoints < minPoints || args.maxPoints > maxPoints) {
    throw new ValidationError(`maxPoints must be between ${minPoints} and ${maxPoints}`, 'maxPoints');
  }
  const from = args.range?.from ?? undefined;
  const to = args.range?.to ?? undefined;
  for (const [field, bound] of [
    ['range.from', from],
    ['range.to', to],
  ] as const) {
    if (bound !== undefined && !Number.isSafeInteger(bound)) {
      throw new ValidationError(`${field} must be a whole number (a step, or epoch / relative ms)`, field);
    }
  }
  if (from !== undefined && to !== undefined && from > to) {
    throw new ValidationError('range.from must not be after range.to', 'range.from');
  }
  const workers = args.workers ?? WorkerView.ALL;
  return {
    runIds,
    keys,
    maxPoints: args.maxPoints,
    axis: args.xAxis,
    method: args.method,
    from,
    to,
    workers,
  };
}

/**
 * Cost: every point and bucket the overlay may return (maxPoints and, for MINMAX, maxPoints / 2 per series), plus the selection of each series. EACH may
 * return a series per worker of each (run, key): it is costed at the most workers it draws.
 */
export function overlayCost(args: Record<string, unknown>, childComplexity: number): number {
  const count = (value: unknown) => (Array.isArray(value) ? Math.max(1, new Set(value).size) : 1);
  const perRunAndKey = args.workers === WorkerView.EACH ? OVERLAY_LIMITS.maxWorkersPerSeries : 1;
  const series = count(args.runIds) * count(args.keys) * perRunAndKey;
  const asked = typeof args.maxPoints === 'number' ? args.maxPoints : OVERLAY_LIMITS.defaultPoints;
  const points = Math.min(Math.max(Math.trunc(asked), OVERLAY_LIMITS.minPoints), OVERLAY_LIMITS.maxPoints);
  // MINMAX (the default) answers its maxPoints / 2 buckets besides the points.
  const buckets =
    args.method === undefined || args.method === DownsampleMethod.MINMAX ? Math.floor(points / 2) : 0;
  return series * (points + buckets + childComplexity);
}
