import { Args, ID, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';
import {
  Experiment,
  KeyValue,
  MetricSeries,
  MetricSummary,
  ProjectionLag,
  Run,
  StreamEvent,
} from './runs.models';
import { MAX_SERIES_POINTS, RunsService } from './runs.service';

@Resolver(() => Run)
export class RunsResolver {
  constructor(private readonly service: RunsService) {}

  @Query(() => Run, { nullable: true })
  run(@Args('id', { type: () => ID }) id: string) {
    return this.service.run(id);
  }

  @Query(() => [Run], { description: 'Runs of an experiment, newest first.' })
  runs(
    @Args('experimentId', { type: () => ID }) experimentId: string,
    @Args('limit', { type: () => Int, defaultValue: 100 }) limit: number,
  ) {
    return this.service.runs(experimentId, Math.min(Math.max(limit, 1), 10000));
  }

  @Query(() => Experiment, { nullable: true })
  experiment(@Args('id', { type: () => ID }) id: string) {
    return this.service.experiment(id);
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
}
