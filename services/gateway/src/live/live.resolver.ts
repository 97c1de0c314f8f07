import {
  Args,
  Context,
  Extensions,
  ID,
  Int,
  Resolver,
  Subscription,
  type ComplexityEstimatorArgs,
} from '@nestjs/graphql';
import type { ReadScope } from '../../../../libs/store/src';
import { ReadScopeOfCaller } from '../access/read-scope.decorator';
import type { LiveContext } from './live-connection';
import { LIVE_POINTS_LIMITS, liveMetricPointsCost, liveMetricPointsRequest } from './live-args';
import { LiveFeed } from './live-feed.service';
import { MetricPointsBatch, RunStatusChange } from './live.models';

/** Subscriptions are served over graphql-ws on /graphql (live-socket.server.ts); the log feeds them (live-feed.service.ts). */
@Resolver()
export class LiveResolver {
  constructor(private readonly feed: LiveFeed) {}

  @Subscription(() => RunStatusChange, {
    description:
      "A run's status as the subscription begins (initial: true; none if the store does not know the run yet), " +
      'then every change; completes after the run ends.',
    resolve: (change: RunStatusChange) => change,
  })
  runStatusChanged(
    @Args('runId', { type: () => ID }) runId: string,
    @Context() context: LiveContext,
    @ReadScopeOfCaller() readScope: ReadScope,
  ) {
    return this.feed.followStatus(runId, context.liveConnection, readScope);
  }

  @Subscription(() => MetricPointsBatch, {
    description:
      `New points of up to ${LIVE_POINTS_LIMITS.maxKeys} keys of a run, at most one batch per intervalMs ` +
      `(${LIVE_POINTS_LIMITS.minIntervalMs}–${LIVE_POINTS_LIMITS.maxIntervalMs}) with at most maxPoints ` +
      `(${LIVE_POINTS_LIMITS.minPoints}–${LIVE_POINTS_LIMITS.maxPoints}) points per key, downsampled on the server; ` +
      'completes after the run ends, with every point logged before its end. Costs maxPoints per key. A client ' +
      'that does not read is dropped (SLOW_SUBSCRIBER) rather than buffered for.',
    resolve: (batch: MetricPointsBatch) => batch,
  })
  // @Subscription takes no `complexity`; the cost estimate reads it from the field's extensions all the same.
  @Extensions({
    complexity: ({ args, childComplexity }: ComplexityEstimatorArgs) =>
      liveMetricPointsCost(args, childComplexity),
  })
  metricPoints(
    @Args('runId', { type: () => ID }) runId: string,
    @Args('keys', { type: () => [String] }) keys: string[],
    @Args('maxPoints', { type: () => Int, defaultValue: LIVE_POINTS_LIMITS.defaultPoints }) maxPoints: number,
    @Args('intervalMs', { type: () => Int, defaultValue: LIVE_POINTS_LIMITS.defaultIntervalMs })
    intervalMs: number,
    @Context() context: LiveContext,
    @ReadScopeOfCaller() readScope: ReadScope,
  ) {
    return this.feed.followPoints(
      liveMetricPointsRequest({ runId, keys, maxPoints, intervalMs }),
      context.liveConnection,
      readScope,
    );
  }
}
