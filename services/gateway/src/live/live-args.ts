import { ValidationError } from '../../../../libs/domain/src/errors';
import { MIN_RESERVOIR_POINTS } from './point-reservoir';
import type { MetricPointsRequest } from './live-subscribers';

/** The code of a metricPoints subscription refused for the process-wide budget of live points. */
export const LIVE_POINTS_LIMIT = 'LIVE_POINTS_LIMIT';

/**
 * Every open metricPoints subscription holds up to keys × maxPoints points in its reservoirs, as much in a batch
 * waiting and as much in flight: their sum is capped (RUNLOG_GRAPHQL_MAX_LIVE_POINTS), past it a new one is refused.
 * `extensions` travel to the client (graphql-js copies them onto the error).
 */
export class LivePointsLimitError extends Error {
  readonly extensions: Record<string, unknown>;
  constructor(asked: number, held: number, budget: number) {
    super(
      `Live points over the limit of ${budget} (RUNLOG_GRAPHQL_MAX_LIVE_POINTS, keys × maxPoints summed over open ` +
        `metricPoints subscriptions): ${held} are taken, this subscription asks ${asked}; ask for fewer keys or ` +
        'points, or retry later',
    );
    this.extensions = { code: LIVE_POINTS_LIMIT, limit: 'livePoints', budget, held, asked };
  }
}

/** What one metricPoints subscription may ask for; the cost limit bounds keys × maxPoints on top of these. */
export const LIVE_POINTS_LIMITS = {
  maxKeys: 50,
  minPoints: MIN_RESERVOIR_POINTS,
  maxPoints: 10_000,
  defaultPoints: 1000,
  minIntervalMs: 100,
  maxIntervalMs: 60_000,
  defaultIntervalMs: 1000,
} as const;

function within(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(`${field} must be between ${min} and ${max}`, field);
  }
  return value;
}

/** The subscription asked for, checked: every refusal names the argument at fault. */
export function liveMetricPointsRequest(args: MetricPointsRequest): MetricPointsRequest {
  const keys = [...new Set(args.keys)];
  if (keys.length === 0) throw new ValidationError('keys must name at least one', 'keys');
  if (keys.length > LIVE_POINTS_LIMITS.maxKeys) {
    throw new ValidationError(`keys may name at most ${LIVE_POINTS_LIMITS.maxKeys}`, 'keys');
  }
  if (keys.some((key) => key.length === 0)) throw new ValidationError("keys must not hold ''", 'keys');
  const { minPoints, maxPoints, minIntervalMs, maxIntervalMs } = LIVE_POINTS_LIMITS;
  return {
    runId: args.runId,
    keys,
    maxPoints: within(args.maxPoints, 'maxPoints', minPoints, maxPoints),
    intervalMs: within(args.intervalMs, 'intervalMs', minIntervalMs, maxIntervalMs),
  };
}

/**
 * One emission's worth, like metricSeries: maxPoints per key (clamped into its range, as the refusal would be
 * anyway). A subscription runs for as long as the run does; what it costs over time is bounded by intervalMs
 * and by dropping a subscriber that does not read, not by this number.
 */
export function liveMetricPointsCost(args: Record<string, unknown>, childComplexity: number): number {
  const keys = Array.isArray(args.keys) ? Math.max(1, new Set(args.keys).size) : 1;
  const asked = typeof args.maxPoints === 'number' ? args.maxPoints : LIVE_POINTS_LIMITS.defaultPoints;
  const points = Math.min(
    Math.max(Math.trunc(asked), LIVE_POINTS_LIMITS.minPoints),
    LIVE_POINTS_LIMITS.maxPoints,
  );
  return keys * (points + childComplexity);
}
