import { Field, Float, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum DeadLetterStatusFilter {
  OPEN = 'open',
  RESOLVED = 'resolved',
  ALL = 'all',
}

registerEnumType(DeadLetterStatusFilter, {
  name: 'DeadLetterStatus',
  description: 'OPEN: not projected yet; RESOLVED: re-projected after a fix; ALL: both.',
});

@ObjectType({
  description:
    'A log record the projector could not project: where it is, why, and whether a re-projection resolved it.',
})
export class DeadLetter {
  @Field() topic!: string;
  @Field(() => Int) partition!: number;
  @Field(() => Float) offset!: number;
  @Field(() => DeadLetterStatusFilter, { description: 'OPEN or RESOLVED.' }) status!: DeadLetterStatusFilter;
  @Field({
    description: 'Short code: invalid_payload, unknown_event_type, row_build_failed, insert_failed, …',
  })
  reason!: string;
  @Field({ description: 'The projector step that refused the record.' }) step!: string;
  @Field(() => [String], { description: 'The tables that do not hold the record.' }) tables!: string[];
  @Field({ description: "The engine's or the step's error text." }) error!: string;
  @Field(() => String, { nullable: true }) eventId!: string | null;
  @Field(() => String, { nullable: true }) eventType!: string | null;
  @Field(() => String, { nullable: true }) stream!: string | null;
  @Field(() => Float, { description: 'Epoch milliseconds.' }) deadLetteredAt!: number;
  @Field(() => Float, { nullable: true, description: 'Epoch milliseconds.' }) resolvedAt!: number | null;
}
