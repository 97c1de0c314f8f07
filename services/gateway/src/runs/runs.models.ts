import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'A key and its value (params are stored as strings, as in MLflow).' })
export class KeyValue {
  @Field() key!: string;
  @Field() value!: string;
}

@ObjectType({ description: 'Per-metric summary of a run, for run pages, sorting and top-k.' })
export class MetricSummary {
  @Field() key!: string;
  @Field(() => Float, { description: 'Value at the highest step.' }) last!: number;
  @Field(() => Float) lastStep!: number;
  @Field(() => Float) min!: number;
  @Field(() => Float) max!: number;
  @Field(() => Float) count!: number;
}

@ObjectType()
export class Run {
  @Field(() => ID) id!: string;
  @Field() experimentId!: string;
  @Field() name!: string;
  @Field({ description: 'running | finished | failed | killed' }) status!: string;
  @Field(() => Float, { description: 'Epoch milliseconds.' }) startTime!: number;
  @Field(() => Float, { nullable: true }) endTime!: number | null;
  @Field(() => String, { nullable: true }) failureReason!: string | null;
}

@ObjectType()
export class Experiment {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => Float) createdAt!: number;
}

@ObjectType()
export class MetricPoint {
  @Field(() => Float) step!: number;
  @Field(() => Float) value!: number;
  @Field(() => Float, { description: 'Epoch milliseconds.' }) timestamp!: number;
}

@ObjectType()
export class MetricSeries {
  @Field() runId!: string;
  @Field() key!: string;
  @Field(() => [MetricPoint]) points!: MetricPoint[];
  @Field(() => Float, { description: 'Raw points stored for this series.' }) totalPoints!: number;
  @Field({ description: 'True when points are bucket minima and maxima rather than every raw point.' })
  downsampled!: boolean;
}

@ObjectType({ description: 'How far the projections are behind the log, per topic partition.' })
export class ProjectionLag {
  @Field() topic!: string;
  @Field(() => Int) partition!: number;
  @Field(() => Float, { description: 'Next offset the projector will read.' }) committedOffset!: number;
  @Field(() => Float, { description: 'Next offset the log will write.' }) endOffset!: number;
  @Field(() => Float) lag!: number;
}

@ObjectType({
  description: 'One event of a stream, as the log recorded it: who, when, and its place in the hash chain.',
})
export class StreamEvent {
  @Field(() => ID) id!: string;
  @Field() type!: string;
  @Field() actor!: string;
  @Field() workspace!: string;
  @Field(() => Float) occurredAt!: number;
  @Field(() => Float) recordedAt!: number;
  @Field(() => String, { nullable: true }) prevHash!: string | null;
  @Field() hash!: string;
  @Field(() => Float) offset!: number;
}
