import { Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { BucketColumns, PointColumns } from './series-columns.models';
import { OverlaySeries } from './series.models';

/** The columnar forms of a series, made from its buckets and points only when selected. */
@Resolver(() => OverlaySeries)
export class OverlaySeriesResolver {
  @ResolveField(() => BucketColumns, {
    complexity: 1,
    description: 'buckets, as one list per field (MINMAX).',
  })
  bucketColumns(@Parent() series: OverlaySeries): BucketColumns {
    const { buckets } = series;
    return {
      x: buckets.map((b) => b.x),
      xEnd: buckets.map((b) => b.xEnd),
      count: buckets.map((b) => b.count),
      finiteCount: buckets.map((b) => b.finiteCount),
      min: buckets.map((b) => b.min),
      max: buckets.map((b) => b.max),
      avg: buckets.map((b) => b.avg),
      last: buckets.map((b) => b.last),
      lastX: buckets.map((b) => b.lastX),
    };
  }

  @ResolveField(() => PointColumns, { complexity: 1, description: 'points, as one list per field.' })
  pointColumns(@Parent() series: OverlaySeries): PointColumns {
    const { points } = series;
    return {
      x: points.map((p) => p.x),
      step: points.map((p) => p.step),
      value: points.map((p) => p.value),
      timestamp: points.map((p) => p.timestamp),
    };
  }
}
