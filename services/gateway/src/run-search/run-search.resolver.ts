import { Args, ID, Query, Resolver } from '@nestjs/graphql';
import { ValidationError } from '../../../../libs/domain/src/errors';
import { LIST_BOUNDS, ListSize, sizedListCost } from '../limits/list-sizes';
import { RunConnection } from './run-search.models';
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
  ) {
    // A variable sent as null arrives as null, not undefined: both mean "not given".
    if (!experimentIds?.length && (sweepId ?? undefined) === undefined) {
      throw new ValidationError('searchRuns needs experimentIds or sweepId', 'experimentIds');
    }
    return this.service.search({
      scope: {
        experimentIds: experimentIds?.length ? experimentIds : undefined,
        sweepId: sweepId ?? undefined,
        includeDeleted,
      },
      filter: filter ?? undefined,
      orderBy: orderBy ?? undefined,
      first,
      after: after ?? undefined,
    });
  }
}
