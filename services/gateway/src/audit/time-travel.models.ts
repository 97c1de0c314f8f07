import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { KeyValue } from '../runs/runs.models';

@ObjectType({
  description:
    'An event exactly as the log recorded it (read from the log, not from a projection): every field its hash ' +
    'covers, so anyone can recompute sha256 of the RFC 8785 text of the envelope without `hash`.',
})
export class RecordedEvent {
  @Field(() => ID) id!: string;
  @Field() type!: string;
  @Field(() => Int) v!: number;
  @Field() stream!: string;
  @Field() workspace!: string;
  @Field({ description: 'The authenticated principal that wrote it.' }) actor!: string;
  @Field(() => String, { nullable: true }) onBehalfOf!: string | null;
  @Field({ description: 'As recorded (ISO 8601 text).' }) occurredAt!: string;
  @Field({ description: 'As recorded (ISO 8601 text): when the log accepted it.' }) recordedAt!: string;
  @Field({ description: 'The payload, as JSON text.' }) payload!: string;
  @Field(() => String, { nullable: true }) prevHash!: string | null;
  @Field() hash!: string;
  @Field(() => String, { nullable: true }) requestDigest!: string | null;
  @Field() topic!: string;
  @Field(() => Int) partition!: number;
  @Field(() => Float) offset!: number;
}

@ObjectType({ description: "A stream's events recorded within a time window, as recorded." })
export class AuditTrail {
  @Field() stream!: string;
  @Field(() => [RecordedEvent]) events!: RecordedEvent[];
  @Field({ description: 'More events fall in the window than the limit returned.' }) truncated!: boolean;
  @Field({
    description:
      "Every event's hash recomputes from its fields and each links to the one before it (the first one's link to " +
      'an earlier event is checked only when the window starts the stream).',
  })
  chainIntact!: boolean;
}

@ObjectType({ description: 'A run as it was at an instant: its events recorded up to then, folded.' })
export class RunAsOf {
  @Field(() => ID) runId!: string;
  @Field(() => Float, { description: 'The instant, epoch milliseconds.' }) asOf!: number;
  @Field({ description: 'queued, running, stale, finished, failed or killed.' }) status!: string;
  @Field() name!: string;
  @Field() experimentId!: string;
  @Field(() => String, { nullable: true }) sweepId!: string | null;
  @Field(() => String, { nullable: true }) parentRunId!: string | null;
  @Field(() => Float, { description: 'Epoch milliseconds.' }) createdAt!: number;
  @Field(() => Float, { nullable: true, description: 'Null while queued.' }) startTime!: number | null;
  @Field() deleted!: boolean;
  @Field() note!: string;
  @Field(() => [KeyValue]) params!: KeyValue[];
  @Field(() => [KeyValue]) tags!: KeyValue[];
  @Field(() => Float, { nullable: true }) endTime!: number | null;
  @Field(() => String, { nullable: true }) failureReason!: string | null;
  @Field(() => Int, { description: 'How many events were folded.' }) eventsFolded!: number;
  @Field(() => RecordedEvent, { description: 'The last event folded: the state is its consequence.' })
  lastEvent!: RecordedEvent;
  @Field({ description: 'The folded events form an unbroken chain from the start of the stream.' })
  chainIntact!: boolean;
}
