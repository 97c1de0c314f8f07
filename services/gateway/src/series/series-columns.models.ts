import { Field, ObjectType } from '@nestjs/graphql';
import { GraphQLError, GraphQLScalarType } from 'graphql';

/** Non-finite values as MetricValue writes them; null for "no value". */
function portable(value: number | null): number | string | null {
  if (value === null) return null;
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

export const NumberListScalar = new GraphQLScalarType<(number | null)[], (number | string | null)[]>({
  name: 'NumberList',
  description:
    'Numbers as one JSON array (one value per bucket or point): NaN, Infinity and -Infinity as those strings, ' +
    'null where there is no value. Sent whole, without a GraphQL object per element.',
  serialize(value) {
    if (!Array.isArray(value)) throw new GraphQLError('NumberList cannot represent a non-list');
    return (value as (number | null)[]).map(portable);
  },
  parseValue() {
    throw new GraphQLError('NumberList is an output type');
  },
  parseLiteral() {
    throw new GraphQLError('NumberList is an output type');
  },
});

@ObjectType({
  description:
    "A series' buckets as columns, one list per field, in x order: what a chart library draws from, at a " +
    'fraction of the size and time of one object per bucket.',
})
export class BucketColumns {
  @Field(() => NumberListScalar) x!: number[];
  @Field(() => NumberListScalar) xEnd!: number[];
  @Field(() => NumberListScalar) count!: number[];
  @Field(() => NumberListScalar) finiteCount!: number[];
  @Field(() => NumberListScalar) min!: (number | null)[];
  @Field(() => NumberListScalar) max!: (number | null)[];
  @Field(() => NumberListScalar) avg!: (number | null)[];
  @Field(() => NumberListScalar) last!: number[];
  @Field(() => NumberListScalar) lastX!: number[];
}

@ObjectType({ description: "A series' points as columns, one list per field, in x order." })
export class PointColumns {
  @Field(() => NumberListScalar) x!: number[];
  @Field(() => NumberListScalar) step!: (number | null)[];
  @Field(() => NumberListScalar) value!: number[];
  @Field(() => NumberListScalar) timestamp!: (number | null)[];
}
