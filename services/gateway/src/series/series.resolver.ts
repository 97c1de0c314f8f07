import type { ReadScope } from '../../../../libs/store/src';
import { ReadScopeOfCaller } from '../access/read-scope.decorator';
import { Args, ID, Info, Int, Query, Resolver } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { OVERLAY_LIMITS, overlayCost, overlayQuery } from './overlay-args';
import { DownsampleMethod, SeriesOverlay, SeriesRange, SeriesXAxis, WorkerView } from './series.models';
import { selectsAny } from './selection';
import { SeriesService } from './series.service';

@Resolver()
export class SeriesResolver {
  constructor(private readonly service: SeriesService) {}

  @Query(() => SeriesOverlay, {
    description:
      `The series of up to ${OVERLAY_LIMITS.maxRuns} runs × ${OVERLAY_LIMITS.maxKeys} keys in one request, on one grid of x. ` +
      'Long step series are read from rollups, so the rows read follow maxPoints, not what was logged. ' +
      'Costs maxPoints per series (EACH: per series × the 64 workers it may draw per run and key).',
    complexity: ({ args, childComplexity }) => overlayCost(args, childComplexity),
  })
  metricSeries(
    @Args('runIds', { type: () => [ID] }) runIds: string[],
    @Args('keys', { type: () => [String] }) keys: string[],
    @Args('maxPoints', { type: () => Int, defaultValue: OVERLAY_LIMITS.defaultPoints }) maxPoints: number,
    @Args('xAxis', { type: () => SeriesXAxis, defaultValue: SeriesXAxis.STEP }) xAxis: SeriesXAxis,
    @Args('method', { type: () => DownsampleMethod, defaultValue: DownsampleMethod.MINMAX })
    method: DownsampleMethod,
    @Args('range', { type: () => SeriesRange, nullable: true }) range: SeriesRange | undefined,
    @Args('workers', { type: () => WorkerView, defaultValue: WorkerView.ALL }) workers: WorkerView,
    @Info() info: GraphQLResolveInfo,
    @ReadScopeOfCaller() readScope: ReadScope,
  ) {
    const query = overlayQuery({ runIds, keys, maxPoints, xAxis, method, range, workers });
    // A chart drawing envelopes only selects buckets: the extremes' steps and times are then not read at all.
    const points = selectsAny(info, ['series'], ['points', 'pointColumns']);
    return this.service.overlay({ ...query, points }, readScope);
  }
}
