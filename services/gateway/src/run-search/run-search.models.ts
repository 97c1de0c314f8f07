import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';
import { MetricValueScalar, Run } from '../runs/runs.models';

@ObjectType()
export class RunEdge {
  @Field({ description: 'Pass as `after` for the runs that follow this one.' })
  cursor!: string;

  @Field(() => Run)
  node!: Run;
}

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType({ description: 'A page of runs (Relay connection).' })
export class RunConnection {
  @Field(() => [RunEdge])
  edges!: RunEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

export enum RankMode {
  MIN = 'min',
  MAX = 'max',
  LAST = 'last',
}

registerEnumType(RankMode, {
  name: 'RankMode',
  description: "Which of a run's values of the metric ranks it: its minimum, its maximum or its last value.",
});

@ObjectType({ description: 'A run and the value of the metric it was ranked by.' })
export class RankedRun {
  @Field(() => Run)
  run!: Run;

  @Field(() => MetricValueScalar, {
    nullable: true,
    description:
      'A last value may be ±Infinity; null when the run has nothing to rank by (NaN, no finite value).',
  })
  value!: number | null;
}

@ObjectType({ description: 'The best run of one group and its value.' })
export class GroupBest {
  @Field({ description: "The group's value of the key runs were grouped by." })
  group!: string;

  @Field(() => Run)
  run!: Run;

  @Field(() => MetricValueScalar, { nullable: true })
  value!: number | null;
}
