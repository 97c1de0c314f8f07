import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import { KeyValue, MetricValueScalar, Run } from '../runs/runs.models';

@ObjectType()
export class KeyMetric {
  @Field()
  key!: string;

  @Field(() => MetricValueScalar, {
    nullable: true,
    description: 'The last value; null when the run has none.',
  })
  value!: number | null;
}

@ObjectType({ description: "One run of the sweep: its params and the chosen metrics' last values." })
export class SweepSummaryRow {
  @Field(() => Run)
  run!: Run;

  @Field(() => [KeyValue])
  params!: KeyValue[];

  @Field(() => [KeyMetric], { description: 'In the order the metrics were asked for.' })
  metrics!: KeyMetric[];
}

@ObjectType({ description: 'How a numeric param goes with the objective over the runs that have both.' })
export class ParamImportance {
  @Field()
  key!: string;

  @Field(() => Float, {
    nullable: true,
    description:
      "Spearman's rank correlation with the objective's last value (ties ranked by their average); null below 3 runs or when either side is constant.",
  })
  spearman!: number | null;

  @Field(() => Int, { description: 'Runs with a numeric value of the param and a finite objective.' })
  runs!: number;
}

@ObjectType({ description: 'A sweep ready for a parallel-coordinates plot, with which knobs matter.' })
export class SweepSummary {
  @Field(() => String, {
    nullable: true,
    description: "The metric correlated with: the sweep's objective unless another is asked for.",
  })
  objective!: string | null;

  @Field(() => String, { nullable: true, description: 'minimize or maximize, when the sweep declares it.' })
  goal!: string | null;

  @Field(() => [SweepSummaryRow])
  rows!: SweepSummaryRow[];

  @Field(() => [ParamImportance], {
    description: 'Strongest correlation first (by absolute value), then by key.',
  })
  importance!: ParamImportance[];
}
