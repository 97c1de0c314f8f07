import { Args, ID, Query, Resolver } from '@nestjs/graphql';
import type { ReadScope, RunSearchScope } from '../../../../libs/store/src';
import { ReadScopeOfCaller } from '../access/read-scope.decorator';
import { ValidationError } from '../../../../libs/domain/src/errors';
import { LIST_BOUNDS, ListSize, sizedListCost } from '../limits/list-sizes';
import { GroupBest, RankedRun, RankMode, RunConnection } from './run-search.models';
import { RunSearchService } from './run-search.service';

@Resolver()
export class RunSearchResolver {
  constructor(private readonly service: RunSearchService) {}

  @Query(() => RunConnection, {
    description:
      "Runs of some experiments or of a sweep matching `filter` (MLflow's search grammar, e.g. `metrics.acc > 0.9 and params.lr = '0.01'`), " +
      'ordered by `orderBy` (e.g. `["metrics.acc DESC", "params.lr"]`, nulls last, then newest first), a page at a time.',
    complexity: sizedListCost(LIST_BOUNDS.runSearch),
  })
  searchRuns(
    @Args('experimentIds', { type: () => [ID], nullable: true }) experimentIds: string[] | null | undefined,
    @Args('sweepId', { type: () => ID, nullable: true }) sweepId: string | null | undefined,
    @Args('filter', { type: () => String, nullable: true }) filter: string | null | undefined,
    @Args('orderBy', { type: () => [String], nullable: true }) orderBy: string[] | null | undefined,
    @Args('after', { type: () => String, nullable: true }) after: string | null | undefined,
    @Args('includeDeleted', { defaultValue: false }) includeDeleted: boolean,
    @ListSize(LIST_BOUNDS.runSearch) first: number,
    @ReadScopeOfCaller() readScope: ReadScope,
  ) {
    return this.service.search({
      scope: scopeOf('searchRuns', experimentIds, sweepId, includeDeleted, readScope),
      filter: filter ?? undefined,
      orderBy: orderBy ?? undefined,
      first,
      after: after ?? undefined,
    });
  }

  @Query(() => [RankedRun], {
    description:
      'The k best runs of some experiments or of a sweep by a metric: by their minimum (lowest first), maximum or ' +
      'last value (highest first; lowestFirst turns either), then newest first. Runs without the metric are left out.',
    complexity: sizedListCost(LIST_BOUNDS.topRuns),
  })
  topRuns(
    @Args('experimentIds', { type: () => [ID], nullable: true }) experimentIds: string[] | null | undefined,
    @Args('sweepId', { type: () => ID, nullable: true }) sweepId: string | null | undefined,
    @Args('metric') metric: string,
    @Args('mode', { type: () => RankMode, defaultValue: RankMode.MAX }) mode: RankMode,
    @Args('lowestFirst', { type: () => Boolean, nullable: true }) lowestFirst: boolean | null | undefined,
    @Args('filter', { type: () => String, nullable: true }) filter: string | null | undefined,
    @ListSize(LIST_BOUNDS.topRuns) k: number,
    @ReadScopeOfCaller() readScope: ReadScope,
  ) {
    return this.service.topRuns({
      scope: scopeOf('topRuns', experimentIds, sweepId, false, readScope),
      metric,
      mode,
      lowestFirst: lowestFirst ?? mode === RankMode.MIN,
      filter: filter ?? undefined,
      count: k,
    });
  }

  @Query(() => [GroupBest], {
    description:
      'The best run of each group, best groups first: groupBy names a tag, a param or an attribute ' +
      '(`tags.team`, `params.optimizer`, `attributes.sweep_id`, `attributes.status`); runs without it are left out.',
    complexity: sizedListCost(LIST_BOUNDS.groups),
  })
  bestRunPerGroup(
    @Args('experimentIds', { type: () => [ID], nullable: true }) experimentIds: string[] | null | undefined,
    @Args('sweepId', { type: () => ID, nullable: true }) sweepId: string | null | undefined,
    @Args('metric') metric: string,
    @Args('groupBy') groupBy: string,
    @Args('mode', { type: () => RankMode, defaultValue: RankMode.MAX }) mode: RankMode,
    @Args('lowestFirst', { type: () => Boolean, nullable: true }) lowestFirst: boolean | null | undefined,
    @Args('filter', { type: () => String, nullable: true }) filter: string | null | undefined,
    @ListSize(LIST_BOUNDS.groups) limit: number,
    @ReadScopeOfCaller() readScope: ReadScope,
  ) {
    return this.service.bestRunPerGroup({
      scope: scopeOf('bestRunPerGroup', experimentIds, sweepId, false, readScope),
      metric,
      mode,
      lowestFirst: lowestFirst ?? mode === RankMode.MIN,
      filter: filter ?? undefined,
      count: limit,
      groupBy,
    });
  }
}

/** A variable sent as null arrives as null, not undefined: both mean "not given". */
function scopeOf(
  query: string,
  experimentIds: string[] | null | undefined,
  sweepId: string | null | undefined,
  includeDeleted: boolean,
  workspaces: ReadScope,
): RunSearchScope {
  if (!experimentIds?.length && (sweepId ?? undefined) === undefined) {
    throw new ValidationError(`${query} needs experimentIds or sweepId`, 'experimentIds');
  }
  return {
    experimentIds: experimentIds?.length ? experimentIds : undefined,
    sweepId: sweepId ?? undefined,
    includeDeleted,
    workspaces,
  };
}
