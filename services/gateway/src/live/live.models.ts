import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { MetricValueScalar } from '../runs/runs.models';

@ObjectType({
  description: "A run's status: first as the subscription found it, then each change the log records.",
})
export class RunStatusChange {
  @Field(() => ID) runId!: string;
  @Field({ description: 'queued | running | stale | finished | failed | killed' }) status!: string;
  @Field(() => Float, {
    description: 'Epoch ms: when the run started or ended, or when the change happened.',
  })
  at!: number;
  @Field(() => String, { nullable: true, description: 'Why a run failed or was killed.' })
  reason!: string | null;
  @Field({
    description:
      'True for the first emission: the status as projected when the subscription began (not a change).',
  })
  initial!: boolean;
}

@ObjectType()
export class LivePoint {
  @Field(() => Float) step!: number;
  @Field(() => MetricValueScalar) value!: number;
  @Field(() => Float, { description: 'Epoch ms.' }) timestamp!: number;
}

@ObjectType({ description: 'The points of one key logged since the previous emission.' })
export class LiveSeries {
  @Field() key!: string;
  @Field(() => [LivePoint], {
    description:
      'Every point when there were at most maxPoints; else each of up to maxPoints / 2 buckets of equal count ' +
      'shows its smallest and largest finite value (its first point when it has none), in the order logged.',
  })
  points!: LivePoint[];
  @Field(() => Int, { description: 'Points logged since the previous emission, shown or not.' })
  received!: number;
  @Field() downsampled!: boolean;
}

@ObjectType({
  description: "What a run's watched keys received in one interval; keys with no new point are left out.",
})
export class MetricPointsBatch {
  @Field(() => ID) runId!: string;
  @Field(() => [LiveSeries]) series!: LiveSeries[];
}
