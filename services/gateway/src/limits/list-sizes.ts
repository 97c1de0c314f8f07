import { Injectable, type PipeTransform } from '@nestjs/common';
import { Args, Int, type ComplexityEstimator, type ComplexityEstimatorArgs } from '@nestjs/graphql';

/**
 * How long a list the gateway answers, in one place: the resolvers clamp what a client asks for here, and the
 * query-cost estimate (query-cost.ts) multiplies by the same clamped size, so the cost a query is refused for
 * is the work it would really cause.
 */
export interface ListBound {
  /** The argument that asks for a size. */
  readonly argument: string;
  readonly defaultSize: number;
  readonly maxSize: number;
}

export const LIST_BOUNDS = {
  runs: { argument: 'limit', defaultSize: 100, maxSize: 10_000 },
  runSearch: { argument: 'first', defaultSize: 100, maxSize: 10_000 },
  topRuns: { argument: 'k', defaultSize: 10, maxSize: 1_000 },
  groups: { argument: 'limit', defaultSize: 100, maxSize: 1_000 },
  experiments: { argument: 'limit', defaultSize: 1000, maxSize: 10_000 },
  runHistory: { argument: 'limit', defaultSize: 1000, maxSize: 100_000 },
  // Each event is read back from the log: a window is bounded more tightly than a projected list.
  auditTrail: { argument: 'limit', defaultSize: 1000, maxSize: 10_000 },
  deadLetters: { argument: 'limit', defaultSize: 100, maxSize: 10_000 },
  registeredModels: { argument: 'limit', defaultSize: 100, maxSize: 10_000 },
  promotions: { argument: 'limit', defaultSize: 100, maxSize: 10_000 },
  /** impact: runs reached (those that used the dataset or commit, then their descendants). */
  impactRuns: { argument: 'limit', defaultSize: 1000, maxSize: 10_000 },
  /** metricSeries: at most maxPoints points; out of range is refused by the resolver, not clamped. */
  seriesPoints: { argument: 'maxPoints', defaultSize: 1000, maxSize: 10_000 },
} as const satisfies Record<string, ListBound>;

/**
 * Lists with no size argument (a run's params, tags, metrics, inputs, artifacts, children; lineage lookups):
 * the size a cost estimate assumes. Their real length is whatever was logged, so this is a typical size, not a cap.
 */
export const ASSUMED_LIST_SIZE = 10;

/**
 * A field whose resolver runs one ClickHouse query per parent row (a run's params, tags, metrics, inputs,
 * artifacts): 10 listed runs asking for params are 10 queries, which costs far more than 10 columns.
 */
export const QUERY_PER_PARENT_COST = 10;

export function clampListSize(bound: ListBound, requested: number | undefined): number {
  if (requested === undefined || !Number.isFinite(requested)) return bound.defaultSize;
  return Math.min(Math.max(Math.trunc(requested), 1), bound.maxSize);
}

/** Cost of a list sized by an argument: every item costs itself and its selection. */
export function sizedListCost(bound: ListBound): ComplexityEstimator {
  return function sizedListCostEstimator({ args, childComplexity }: ComplexityEstimatorArgs): number {
    const requested: unknown = args[bound.argument];
    return (
      clampListSize(bound, typeof requested === 'number' ? requested : undefined) * (1 + childComplexity)
    );
  };
}

/** Cost of a list with no size argument, at ASSUMED_LIST_SIZE items, plus its own query when it runs one per parent. */
export function unsizedListCost(options: { queryPerParent: boolean }): ComplexityEstimator {
  const ownCost = options.queryPerParent ? QUERY_PER_PARENT_COST : 1;
  return function unsizedListCostEstimator({ childComplexity }: ComplexityEstimatorArgs): number {
    return ownCost + ASSUMED_LIST_SIZE * (1 + childComplexity);
  };
}

@Injectable()
class ClampListSizePipe implements PipeTransform<number | undefined, number> {
  constructor(private readonly bound: ListBound) {}

  transform(requested: number | undefined): number {
    return clampListSize(this.bound, requested);
  }
}

/** The size argument of a list query, declared and clamped in one step: the resolver receives the clamped size. */
export function ListSize(bound: ListBound): ParameterDecorator {
  return Args(
    bound.argument,
    {
      type: () => Int,
      defaultValue: bound.defaultSize,
      description: `At most ${bound.maxSize}; larger values are clamped.`,
    },
    new ClampListSizePipe(bound),
  );
}
