import { Args, Float, ID, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ValidationError } from '../../../../libs/domain/src/errors';
import type { ReadScope } from '../../../../libs/store/src';
import { ReadScopeOfCaller } from '../access/read-scope.decorator';
import { LIST_BOUNDS, ListSize, sizedListCost, unsizedListCost } from '../limits/list-sizes';
import {
  Artifact,
  Experiment,
  KeyValue,
  MetricSeries,
  MetricSummary,
  ProjectionLag,
  Run,
  RunInput,
  StreamEvent,
  Sweep,
} from './runs.models';
import { RunSearchService } from '../run-search/run-search.service';
import { RunsService } from './runs.service';

/** A run's lists read by one ClickHouse query per run. */
const PER_RUN_QUERY = unsizedListCost({ queryPerParent: true });
/** A run's lists read for every run of a list in one query (params, tags, metrics, children). */
const BATCHED_PER_LIST = unsizedListCost({ queryPerParent: false });

@Resolver(() => Run)
export class RunsResolver {
  constructor(
    private readonly service: RunsService,
    private readonly search: RunSearchService,
  ) {}

  @Query(() => Run, { nullable: true })
  run(@Args('id', { type: () => ID }) id: string, @ReadScopeOfCaller() readScope: ReadScope) {
    return this.service.run(id, readScope);
  }

  @Query(() => [Run], {
    description:
      'Runs matching every filter given (at least one), newest first; deleted runs only when asked. `filter` ' +
      "(MLflow's search grammar) and `orderBy` work as in searchRuns, with experimentId or sweepId; searchRuns pages.",
    complexity: sizedListCost(LIST_BOUNDS.runs),
  })
  async runs(
    @Args('experimentId', { type: () => ID, nullable: true }) experimentId: string | undefined,
    @Args('sweepId', { type: () => ID, nullable: true }) sweepId: string | undefined,
    @Args('parentRunId', { type: () => ID, nullable: true }) parentRunId: string | undefined,
    @Args('includeDeleted', { defaultValue: false }) includeDeleted: boolean,
    @ListSize(LIST_BOUNDS.runs) limit: number,
    @Args('filter', { type: () => String, nullable: true }) filter: string | null | undefined,
    @Args('orderBy', { type: () => [String], nullable: true }) orderBy: string[] | null | undefined,
    @ReadScopeOfCaller() readScope: ReadScope,
  ) {
    if (experimentId === undefined && sweepId === undefined && parentRunId === undefined) {
      throw new ValidationError('runs needs experimentId, sweepId or parentRunId', 'experimentId');
    }
    if (filter != null || orderBy != null) {
      if (parentRunId !== undefined) {
        throw new ValidationError(
          'runs: filter and orderBy search an experiment or a sweep; use attributes.parent_run_id in the filter',
          'parentRunId',
        );
      }
      const scope = {
        experimentIds: experimentId === undefined ? undefined : [experimentId],
        sweepId,
        includeDeleted,
        workspaces: readScope,
      };
      const page = await this.search.search({
        scope,
        filter: filter ?? undefined,
        orderBy: orderBy ?? undefined,
        first: limit,
      });
      return page.edges.map((edge) => edge.node);
    }
    return this.service.runs({ experimentId, sweepId, parentRunId, includeDeleted, scope: readScope }, limit);
  }

  @Query(() => Experiment, { nullable: true })
  experiment(@Args('id', { type: () => ID }) id: string, @ReadScopeOfCaller() readScope: ReadScope) {
    return this.service.experiment(id, readScope);
  }

  @Query(() => [Experiment], {
    description: 'Experiments by name; archived ones only when asked.',
    complexity: sizedListCost(LIST_BOUNDS.experiments),
  })
  experiments(
    @Args('includeArchived', { defaultValue: false }) includeArchived: boolean,
    @ListSize(LIST_BOUNDS.experiments) limit: number,
    @ReadScopeOfCaller() readScope: ReadScope,
  ) {
    return this.service.experiments(includeArchived, limit, readScope);
  }

  @Query(() => Sweep, { name: 'sweep', nullable: true })
  sweepById(@Args('id', { type: () => ID }) id: string, @ReadScopeOfCaller() readScope: ReadScope) {
    return this.service.sweep(id, readScope);
  }

  @Query(() => [RunInput], {
    description: 'Lineage: every run that read the dataset with this digest.',
    complexity: unsizedListCost({ queryPerParent: false }),
  })
  runsReadingInput(@Args('digest') digest: string, @ReadScopeOfCaller() readScope: ReadScope) {
    return this.service.inputsWithDigest(digest, readScope);
  }

  @Query(() => [Artifact], {
    description: 'Lineage: every run path holding the bytes with this sha256.',
    complexity: unsizedListCost({ queryPerParent: false }),
  })
  artifactsWithDigest(@Args('digest') digest: string, @ReadScopeOfCaller() readScope: ReadScope) {
    return this.service.artifactsWithDigest(digest, readScope);
  }

  @Query(() => MetricSeries, {
    description:
      'One series of one run (metricSeries draws many). At most maxPoints points; past that, min and max per step bucket. fromStep/toStep zoom into a range: ' +
      'long spans are answered from rollups (resolution says which), short ones from raw points.',
    // Costed as if every point carried the whole selection: the points list cannot see maxPoints.
    complexity: sizedListCost(LIST_BOUNDS.seriesPoints),
  })
  runMetricSeries(
    @Args('runId', { type: () => ID }) runId: string,
    @Args('key') key: string,
    @Args('maxPoints', { type: () => Int, defaultValue: LIST_BOUNDS.seriesPoints.defaultSize })
    maxPoints: number,
    @Args('fromStep', { type: () => Float, nullable: true }) fromStep: number | undefined,
    @Args('toStep', { type: () => Float, nullable: true }) toStep: number | undefined,
    @ReadScopeOfCaller() readScope: ReadScope,
  ) {
    const { maxSize } = LIST_BOUNDS.seriesPoints;
    if (maxPoints < 2 || maxPoints > maxSize) {
      throw new ValidationError(`maxPoints must be between 2 and ${maxSize}`, 'maxPoints');
    }
    for (const [field, step] of [
      ['fromStep', fromStep],
      ['toStep', toStep],
    ] as const) {
      if (step != null && !Number.isSafeInteger(step)) {
        throw new ValidationError(`${field} must be a whole step number`, field);
      }
    }
    if (fromStep != null && toStep != null && fromStep > toStep) {
      throw new ValidationError('fromStep must not be after toStep', 'fromStep');
    }
    return this.service.metricSeries(
      { runId, key, maxPoints, fromStep: fromStep ?? undefined, toStep: toStep ?? undefined },
      readScope,
    );
  }

  @Query(() => [StreamEvent], {
    description: "A run's lifecycle events in log order, with actor and hash chain.",
    complexity: sizedListCost(LIST_BOUNDS.runHistory),
  })
  runHistory(
    @Args('runId', { type: () => ID }) runId: string,
    @ListSize(LIST_BOUNDS.runHistory) limit: number,
    @ReadScopeOfCaller() readScope: ReadScope,
  ) {
    return this.service.runHistory(runId, limit, readScope);
  }

  @Query(() => [ProjectionLag], { complexity: unsizedListCost({ queryPerParent: false }) })
  projectionLag() {
    return this.service.projectionLag();
  }

  @ResolveField(() => [KeyValue], { complexity: BATCHED_PER_LIST })
  params(@Parent() run: Run) {
    return this.service.params(run.id);
  }

  @ResolveField(() => [KeyValue], { complexity: BATCHED_PER_LIST })
  tags(@Parent() run: Run) {
    return this.service.tags(run.id);
  }

  @ResolveField(() => [MetricSummary], { complexity: BATCHED_PER_LIST })
  metrics(@Parent() run: Run) {
    return this.service.metrics(run.id);
  }

  @ResolveField(() => [RunInput], { complexity: PER_RUN_QUERY })
  inputs(@Parent() run: Run) {
    return this.service.inputs({ runId: run.id });
  }

  @ResolveField(() => [String], {
    description:
      "Distributed training: the worker labels of the run's points, in label order ('' is the default worker; " +
      'at most 1,000). metricSeries(workers: EACH) draws a series per worker.',
    complexity: BATCHED_PER_LIST,
  })
  workers(@Parent() run: Run) {
    return this.service.workers(run.id);
  }

  @ResolveField(() => [Artifact], {
    description: 'Latest upload per path, optionally under a folder prefix.',
    complexity: PER_RUN_QUERY,
  })
  artifacts(@Parent() run: Run, @Args('prefix', { defaultValue: '' }) prefix: string) {
    return this.service.artifacts({ runId: run.id, prefix });
  }

  @ResolveField(() => [Run], {
    description: 'Runs whose parent this is (not deleted).',
    complexity: unsizedListCost({ queryPerParent: false }),
  })
  children(@Parent() run: Run, @ReadScopeOfCaller() readScope: ReadScope) {
    return this.service.childRuns(run.id, readScope);
  }

  @ResolveField(() => Sweep, { nullable: true })
  sweep(@Parent() run: Run, @ReadScopeOfCaller() readScope: ReadScope) {
    return run.sweepId === null ? null : this.service.sweep(run.sweepId, readScope);
  }
}
