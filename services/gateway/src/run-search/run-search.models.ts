import { Field, ObjectType } from '@nestjs/graphql';
import { Run } from '../runs/runs.models';

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
