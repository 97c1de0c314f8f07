import { Field, ObjectType } from '@nestjs/graphql';
import { Run } from '../runs/runs.models';

@ObjectType({ description: 'One line of a comparison: a value per run, in the order of `runs`.' })
export class ComparisonRow {
  @Field({ description: 'attribute | param | tag | metric (last value) | context | input (digest)' })
  section!: string;

  @Field()
  key!: string;

  @Field(() => [String], { nullable: 'items', description: 'Null where the run has no such key.' })
  values!: (string | null)[];

  @Field({ description: 'True when the runs do not all have the same value (a key only some have differs).' })
  differs!: boolean;
}

@ObjectType()
export class RunComparison {
  @Field(() => [Run], { description: 'The runs found, in the order asked.' })
  runs!: Run[];

  @Field(() => [ComparisonRow])
  rows!: ComparisonRow[];
}
