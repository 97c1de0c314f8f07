import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { MetricValueScalar } from '../runs/runs.models';

export enum SeriesXAxis {
  STEP = 'step',
  WALL_TIME = 'wall_time',
  RELATIVE_TIME = 'relative_time',
}

registerEnumType(SeriesXAxis, {
  name: 'SeriesXAxis',
  description:
    "x of a point: its step, its time (epoch ms), or ms since the run's first point among the keys asked.",
});

export enum DownsampleMethod {
  MINMAX = 'minmax',
  LTTB = 'lttb',
  RAW = 'raw',
}

registerEnumType(DownsampleMethod, {
  name: 'DownsampleMethod',
  description: 'How a series longer than maxPoints is drawn.',
  valuesMap: {
    MINMAX: {
      description:
        'maxPoints / 2 buckets on one grid for every series: min, max, avg and last per bucket, and the extremes as points.',
    },
    LTTB: {
      description: "ClickHouse's largestTriangleThreeBuckets: maxPoints finite points that keep the shape.",
    },
    RAW: {
      description: 'Every point, the first maxPoints of the range (truncated says when there are more).',
    },
  },
});

export enum WorkerView {
  ALL = 'all',
  EACH = 'each',
  MEAN = 'mean',
  MIN = 'min',
  MAX = 'max',
}

registerEnumType(WorkerView, {
  name: 'WorkerView',
  description:
    'Distributed training: how the points the workers of a run (ranks, nodes) logged make series. Views other ' +
    'than ALL read raw points (the rollups are across workers).',
  valuesMap: {
    ALL: { description: 'Every point, whichever worker logged it: one series per (run, key).' },
    EACH: {
      description:
        'One series per (run, key, worker), `worker` set; at most 64 workers per (run, key), and costed so.',
    },
    MEAN: {
      description:
        'Per (run, key, step): the mean over the workers of their (latest) value at the step, finite values ' +
        'only (NaN where none is finite); its time is the latest of theirs. Then the method draws that series.',
    },
    MIN: { description: 'As MEAN, with the minimum.' },
    MAX: { description: 'As MEAN, with the maximum.' },
  },
});

@InputType({ description: 'A zoom: x range in the axis unit, both ends included.' })
export class SeriesRange {
  @Field(() => Float, { nullable: true }) from?: number;
  @Field(() => Float, { nullable: true }) to?: number;
}

@ObjectType()
export class OverlayPoint {
  @Field(() => Float) x!: number;
  @Field(() => Float, { nullable: true, description: 'Null for LTTB on a time axis.' }) step!: number | null;
  @Field(() => MetricValueScalar) value!: number;
  @Field(() => Float, { nullable: true, description: 'Epoch ms; null for LTTB on the step axis.' })
  timestamp!: number | null;
}

@ObjectType({ description: 'The envelope W&B, Neptune and Trackio draw: one bucket of x.' })
export class SeriesBucket {
  @Field(() => Float, { description: 'First x of the bucket.' }) x!: number;
  @Field(() => Float, { description: 'Last x of the bucket.' }) xEnd!: number;
  @Field(() => Float) count!: number;
  @Field(() => Float, { description: 'Points with a finite value: min, max and avg are over these.' })
  finiteCount!: number;
  @Field(() => MetricValueScalar, { nullable: true }) min!: number | null;
  @Field(() => MetricValueScalar, { nullable: true }) max!: number | null;
  @Field(() => MetricValueScalar, {
    nullable: true,
    description: 'Mean of the finite values; Infinity when their sum overflows a double.',
  })
  avg!: number | null;
  @Field(() => MetricValueScalar, { description: 'The value at the greatest x of the bucket.' })
  last!: number;
  @Field(() => Float) lastX!: number;
}

@ObjectType()
export class OverlaySeries {
  @Field(() => ID) runId!: string;
  @Field() key!: string;
  @Field(() => String, {
    nullable: true,
    description:
      "EACH: the worker that logged these points ('' the default worker); null in the other views.",
  })
  worker!: string | null;
  @Field(() => [OverlayPoint], { complexity: 1 }) points!: OverlayPoint[];
  @Field(() => [SeriesBucket], { complexity: 1, description: 'MINMAX only.' }) buckets!: SeriesBucket[];
  @Field(() => Float, {
    description: 'Points of the series in the range (over whole rollup buckets when a rollup answered).',
  })
  totalPoints!: number;
  @Field() downsampled!: boolean;
  @Field({ description: 'RAW: more than maxPoints points lie in the range.' }) truncated!: boolean;
  @Field(() => Int, {
    description: 'Steps per stored row read: 1 for raw points, else a rollup bucket width.',
  })
  resolution!: number;
  @Field(() => Float, { nullable: true, description: 'x units per bucket (MINMAX).' }) bucketWidth!:
    number | null;
  @Field({
    description: "Raw points of the range are gone (the experiment's retention): the finest rollup answered.",
  })
  rawPointsExpired!: boolean;
}

@ObjectType()
export class SeriesOverlay {
  @Field(() => SeriesXAxis) xAxis!: SeriesXAxis;
  @Field(() => DownsampleMethod) method!: DownsampleMethod;
  @Field(() => WorkerView) workers!: WorkerView;
  @Field(() => Float, { nullable: true, description: 'x range the series span within the zoom.' }) from!:
    number | null;
  @Field(() => Float, { nullable: true }) to!: number | null;
  @Field(() => Float, { description: 'Rows ClickHouse read, over every query of the overlay.' })
  rowsRead!: number;
  @Field(() => [OverlaySeries], {
    complexity: 1,
    description:
      'One per (run, key), runs in the order asked; with EACH one per worker of each (run, key), in label order.',
  })
  series!: OverlaySeries[];
}
