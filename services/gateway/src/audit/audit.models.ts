import { Field, Float, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum BreakReason {
  HASH_MISMATCH = 'hash_mismatch',
  PREV_HASH_MISMATCH = 'prev_hash_mismatch',
  CHECKPOINT_MISMATCH = 'checkpoint_mismatch',
  TRUNCATED = 'truncated',
}

registerEnumType(BreakReason, {
  name: 'BreakReason',
  description:
    "HASH_MISMATCH: the event's fields do not hash to its stored hash (edited). PREV_HASH_MISMATCH: it does not " +
    'link to the event before it in its stream (one was deleted, inserted or moved). CHECKPOINT_MISMATCH: the ' +
    "partition's Merkle root differs from a signed checkpoint (rewritten with recomputed hashes). TRUNCATED: the " +
    'partition holds fewer events than a checkpoint counted.',
});

@ObjectType({
  description: 'Where the history breaks. Details of a workspace the caller may not read are null.',
})
export class AuditBreak {
  @Field(() => BreakReason) reason!: BreakReason;
  @Field() topic!: string;
  @Field(() => Int) partition!: number;
  @Field(() => Float, { nullable: true }) offset!: number | null;
  @Field(() => String, { nullable: true }) stream!: string | null;
  @Field(() => Int, { nullable: true, description: "The event's index in its stream, 0 for the first." })
  position!: number | null;
  @Field(() => String, { nullable: true }) eventId!: string | null;
  @Field(() => String, { nullable: true, description: 'The hash (or size) the history should have there.' })
  expected!: string | null;
  @Field(() => String, { nullable: true, description: 'The hash (or size) found there.' })
  found!: string | null;
  @Field(() => Int, { nullable: true, description: 'For checkpoint breaks: the tree size signed.' })
  treeSize!: number | null;
  @Field(() => Int, {
    nullable: true,
    description:
      'For CHECKPOINT_MISMATCH: the largest checkpointed size that matched; the rewrite lies after it.',
  })
  sinceTreeSize!: number | null;
}

@ObjectType({ description: "A partition's Merkle tree head (RFC 9162), recomputed from its events." })
export class TreeHeadModel {
  @Field() topic!: string;
  @Field(() => Int) partition!: number;
  @Field(() => Float) treeSize!: number;
  @Field() rootHash!: string;
}

@ObjectType({
  description: 'A record under checkpoints/ in the artifact store that does not verify with the key.',
})
export class RefusedCheckpoint {
  @Field() key!: string;
  @Field() reason!: string;
}

@ObjectType({ description: 'An events-table row that does not match the log.' })
export class ProjectionFinding {
  @Field({
    description:
      'row_missing: an event without its row (and no dead letter for it); row_altered: a row whose fields differ ' +
      'from the event at its position; row_without_event: a row at a position that holds no event of its topic.',
  })
  kind!: string;
  @Field() topic!: string;
  @Field(() => Int) partition!: number;
  @Field(() => Float) offset!: number;
  @Field(() => String, { nullable: true }) stream!: string | null;
  @Field(() => String, { nullable: true }) eventId!: string | null;
  @Field(() => [String], { description: 'For row_altered: the fields that differ.' }) fields!: string[];
}

@ObjectType('AuditReport', { description: 'The whole log recomputed: chains, trees, checkpoints.' })
export class AuditReportModel {
  @Field({
    description:
      'True when no break was found, every stored checkpoint verified and (if compared) every row matched.',
  })
  ok!: boolean;
  @Field(() => Float) events!: number;
  @Field(() => Float) streams!: number;
  @Field(() => [TreeHeadModel]) heads!: TreeHeadModel[];
  @Field(() => Int) checkpointsChecked!: number;
  @Field(() => AuditBreak, { nullable: true, description: 'The first break in log order.' })
  firstBreak!: AuditBreak | null;
  @Field(() => [AuditBreak], { description: 'The first 100 breaks in log order.' }) breaks!: AuditBreak[];
  @Field(() => Int) breakCount!: number;
  @Field(() => [RefusedCheckpoint], { description: 'Checkpoints that do not verify: each makes ok false.' })
  refusedCheckpoints!: RefusedCheckpoint[];
  @Field({ description: 'False when no signing key is configured: the log was checked against itself only.' })
  checkpointsKnown!: boolean;
  @Field({ description: 'Whether the events table was compared with the log (projections: true).' })
  projectionChecked!: boolean;
  @Field(() => Float) projectionEventsCompared!: number;
  @Field(() => [ProjectionFinding], { description: 'The first 100, in log order.' })
  projectionFindings!: ProjectionFinding[];
  @Field(() => Int) projectionFindingCount!: number;
}
