import { Args, ID, Query, Resolver } from '@nestjs/graphql';
import { ValidationError } from '../../../../libs/domain/src/errors';
import type { ReadScope } from '../../../../libs/store/src';
import { ReadScopeOfCaller } from '../access/read-scope.decorator';
import { SweepSummary } from './sweep-summary.models';
import { MAX_SWEEP_RUNS, SweepSummaryService } from './sweep-summary.service';

const MAX_METRICS = 50;

@Resolver()
export class SweepSummaryResolver {
  constructor(private readonly service: SweepSummaryService) {}

  @Query(() => SweepSummary, {
    description: `One row per run of the sweep (up to ${MAX_SWEEP_RUNS}) with its params and the chosen metrics' last values, and each numeric param's Spearman correlation with the objective.`,
    // Costed as if every run of a full sweep carried the whole selection, as a list of that size would be.
    complexity: ({ childComplexity }) => MAX_SWEEP_RUNS * (1 + childComplexity),
  })
  sweepSummary(
    @Args('sweepId', { type: () => ID }) sweepId: string,
    @Args('metrics', { type: () => [String] }) metrics: string[],
    @Args('objective', { type: () => String, nullable: true }) objective: string | null | undefined,
    @ReadScopeOfCaller() readScope: ReadScope,
  ) {
    if (metrics.length > MAX_METRICS) {
      throw new ValidationError(`sweepSummary takes at most ${MAX_METRICS} metrics`, 'metrics');
    }
    return this.service.summary(sweepId, metrics, readScope, objective ?? undefined);
  }
}
