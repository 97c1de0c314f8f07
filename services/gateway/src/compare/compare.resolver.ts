import type { ReadScope } from '../../../../libs/store/src';
import { ReadScopeOfCaller } from '../access/read-scope.decorator';
import { Args, ID, Query, Resolver } from '@nestjs/graphql';
import { RunComparison } from './compare.models';
import { CompareService, MAX_COMPARED_RUNS } from './compare.service';

/** Rows are bounded by what runs logged (assumed sizes), runs by MAX_COMPARED_RUNS. */
const COMPARE_COST = MAX_COMPARED_RUNS * 10;

@Resolver()
export class CompareResolver {
  constructor(private readonly service: CompareService) {}

  @Query(() => RunComparison, {
    description: `Up to ${MAX_COMPARED_RUNS} runs side by side: attributes, params, tags, last metric values, context and inputs, each row flagged when the runs differ.`,
    complexity: ({ childComplexity }) => COMPARE_COST * (1 + childComplexity),
  })
  compareRuns(@Args('ids', { type: () => [ID] }) ids: string[], @ReadScopeOfCaller() readScope: ReadScope) {
    return this.service.compare(ids, readScope);
  }
}
