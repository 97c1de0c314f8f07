import { Args, ID, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';
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
import { MAX_SERIES_POINTS, RunsService } from './runs.service';

@Resolver(() => Run)
export class RunsResolver {
  constructor(private readonly service: RunsService) {}

  @Query(() => Run, { nullable: true })
  run(@Args('id', { type: () => ID }) id: string) {
    return this.service.run(id);
  }

  @Query(() => [Run], {
    description:
      'Runs matching every filter given (at least one), newest first; deleted runs only when asked.',
  })
  runs(
    @Args('experimentId', { type: () => ID, nullable: true }) experimentId: string | undefined,
    @Args('sweepId', { type: () => ID, nullable: true }) sweepId: string | undefined,
    @Args('parentRunId', { type: () => ID, nullable: true }) parentRunId: string | undefined,
    @Args('includeDeleted', { defaultValue: false }) includeDeleted: boolean,
    @Args('limit', { type: () => Int, defaultValue: 100 }) limit: number,
  ) {
    if (experimentId === undefined && sweepId === undefined && parentRunId === undefined) {
      throw new GraphQLError('runs needs experimentId, sweepId or parentRunId', {
        extensions: { code: 'BAD_USER_INPUT', field: 'experimentId' },
      });
    }
    return this.service.runs(
      { experimentId, sweepId, parentRunId, includeDeleted },
      Math.min(Math.max(limit, 1), 10000),
    );
  }

  @Query(() => Experiment, { nullable: true })
  experiment(@Args('id', { type: () => ID }) id: string) {
    return this.service.experiment(id);
  }

  @Query(() => [Experiment], { description: 'Experiments by name; archived ones only when asked.' })
  experiments(
    @Args('includeArchived', { defaultValue: false }) includeArchived: boolean,
    @Args('limit', { type: () => Int, defaultValue: 1000 }) limit: number,
  ) {
    return this.service.experiments(includeArchived, Math.min(Math.max(limit, 1), 10000));
  }

  @Query(() => Sweep, { name: 'sweep', nullable: true })
  sweepById(@Args('id', { type: () => ID }) id: string) {
    return this.service.sweep(id);
  }

  @Query(() => [RunInput], { description: 'Lineage: every run that read the dataset with this digest.' })
  runsReadingInput(@Args('digest') digest: string) {
    return this.service.inputs({ digest });
  }

  @Query(() => [Artifact], { description: 'Lineage: every run path holding the bytes with this sha256.' })
  artifactsWithDigest(@Args('digest') digest: string) {
    return this.service.artifacts({ digest });
  }

  @Query(() => MetricSeries, {
    description: 'At most maxPoints points; past that, min and max per step bucket.',
  })
  metricSeries(
    @Args('runId', { type: () => ID }) runId: string,
    @Args('key') key: string,
    @Args('maxPoints', { type: () => Int, defaultValue: 1000 }) maxPoints: number,
  ) {
    if (maxPoints < 2 || maxPoints > MAX_SERIES_POINTS) {
      throw new GraphQLError(`maxPoints must be between 2 and ${MAX_SERIES_POINTS}`, {
        extensions: { code: 'BAD_USER_INPUT', field: 'maxPoints' },
      });
    }
    return this.service.metricSeries(runId, key, maxPoints);
  }

  @Query(() => [StreamEvent], {
    description: "A run's lifecycle events in log order, with actor and hash chain.",
  })
  runHistory(
    @Args('runId', { type: () => ID }) runId: string,
    @Args('limit', { type: () => Int, defaultValue: 1000 }) limit: number,
  ) {
    return this.service.runHistory(runId, Math.min(Math.max(limit, 1), 100000));
  }

  @Query(() => [ProjectionLag])
  projectionLag() {
    return this.service.projectionLag();
  }

  @ResolveField(() => [KeyValue])
  params(@Parent() run: Run) {
    return this.service.params(run.id);
  }

  @ResolveField(() => [KeyValue])
  tags(@Parent() run: Run) {
    return this.service.tags(run.id);
  }

  @ResolveField(() => [MetricSummary])
  metrics(@Parent() run: Run) {
    return this.service.metrics(run.id);
  }

  @ResolveField(() => [RunInput])
  inputs(@Parent() run: Run) {
    return this.service.inputs({ runId: run.id });
  }

  @ResolveField(() => [Artifact], {
    description: 'Latest upload per path, optionally under a folder prefix.',
  })
  artifacts(@Parent() run: Run, @Args('prefix', { defaultValue: '' }) prefix: string) {
    return this.service.artifacts({ runId: run.id, prefix });
  }

  @ResolveField(() => [Run], { description: 'Runs whose parent this is (not deleted).' })
  children(@Parent() run: Run) {
    return this.service.childRuns(run.id);
  }

  @ResolveField(() => Sweep, { nullable: true })
  sweep(@Parent() run: Run) {
    return run.sweepId === null ? null : this.service.sweep(run.sweepId);
  }
}
