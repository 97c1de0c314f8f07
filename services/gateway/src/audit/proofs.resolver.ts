import { Inject } from '@nestjs/common';
import { Args, Float, ID, Int, Query, Resolver } from '@nestjs/graphql';
import {
  AUDIT_CHECKPOINTS,
  AUDITED_TOPICS,
  loadCheckpoints,
  proveConsistency,
  proveInclusion,
  type CheckpointConfig,
} from '../../../../libs/audit/src';
import { ARTIFACT_STORE, type ArtifactStore } from '../../../../libs/artifacts/src/artifact-store';
import { ConcurrencyError, NotFoundError, ValidationError } from '../../../../libs/domain/src/errors';
import { EVENT_LOG, type EventLog } from '../../../../libs/log/src/event-log';
import {
  CLICKHOUSE,
  findEventPosition,
  inReadScope,
  readerFor,
  type ClickHouse,
  type ReadScope,
} from '../../../../libs/store/src';
import { ReadScopeOfCaller } from '../access/read-scope.decorator';
import { ConsistencyProof, InclusionProof } from './proofs.models';

@Resolver()
export class ProofsResolver {
  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(AUDIT_CHECKPOINTS) private readonly config: CheckpointConfig,
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouse,
  ) {}

  @Query(() => InclusionProof, {
    nullable: true,
    description:
      "The event's audit path under the latest signed checkpoint of its partition; null for an unknown event (or one " +
      'of a workspace the caller cannot read). Costs a read of the partition up to the checkpoint.',
  })
  async inclusionProof(
    @Args('eventId', { type: () => ID }) eventId: string,
    @ReadScopeOfCaller() scope: ReadScope,
  ): Promise<InclusionProof | null> {
    const position = await findEventPosition(readerFor(this.clickhouse), eventId);
    if (!position || !inReadScope(scope, position.workspace)) return null;
    const key = this.config.verifyKey;
    if (!key)
      throw new NotFoundError(
        'no signed checkpoints: neither RUNLOG_AUDIT_PUBLIC_KEY_FILE nor RUNLOG_AUDIT_SIGNING_KEY_FILE is set',
        'eventId',
      );
    const { heads } = await loadCheckpoints(this.store, key);
    const latest = heads
      .filter((head) => head.topic === position.topic && head.partition === position.partition)
      .at(-1);
    const [record] = await this.log.read(position.topic, position.partition, position.offset, 1);
    if (
      !record ||
      record.offset !== position.offset ||
      record.event.id.toLowerCase() !== eventId.toLowerCase()
    ) {
      throw new ConcurrencyError(
        `the events table places event ${eventId} at ${position.topic}/${position.partition} offset ${position.offset}, where the log holds another: run auditVerify(projections: true)`,
        'eventId',
      );
    }
    if (!inReadScope(scope, record.event.workspace)) return null;
    const answer = latest && (await proveInclusion(this.log, position, latest.treeSize).catch(() => null));
    if (!latest || !answer) {
      throw new NotFoundError(
        `no signed checkpoint covers event ${eventId} yet: try again after the next`,
        'eventId',
      );
    }
    return {
      eventId,
      topic: position.topic,
      partition: position.partition,
      offset: position.offset,
      treeSize: latest.treeSize,
      ...answer,
      checkpoint: JSON.stringify(latest.checkpoint),
    };
  }

  @Query(() => ConsistencyProof, {
    description:
      "The proof that the partition's tree of fromSize leaves is a prefix of its tree of toSize (sizes of two " +
      'signed checkpoints, say). Costs a read of the partition up to toSize.',
  })
  async consistencyProof(
    @Args('topic') topic: string,
    @Args('partition', { type: () => Int }) partition: number,
    @Args('fromSize', { type: () => Float }) fromSize: number,
    @Args('toSize', { type: () => Float }) toSize: number,
  ): Promise<ConsistencyProof> {
    if (!AUDITED_TOPICS.includes(topic)) {
      throw new ValidationError(
        `topic: ${JSON.stringify(topic.slice(0, 80))} is not a Runlog topic`,
        'topic',
      );
    }
    const size = (await this.log.endOffsets(topic)).get(partition);
    if (size === undefined)
      throw new ValidationError(`topic ${topic} has no partition ${partition}`, 'partition');
    if (!Number.isSafeInteger(toSize) || toSize < 0 || toSize > size) {
      // The partition's end offset bounds its leaf count: a larger size is refused before a byte is read.
      throw new ValidationError(`toSize must be a whole number from 0 to ${size}`, 'toSize');
    }
    if (!Number.isSafeInteger(fromSize) || fromSize < 0 || fromSize > toSize) {
      throw new ValidationError('fromSize must be a whole number from 0 to toSize', 'fromSize');
    }
    const path = await proveConsistency(this.log, { topic, partition }, fromSize, toSize).catch(
      (error: unknown) => {
        throw new ValidationError(`toSize: ${(error as Error).message}`, 'toSize');
      },
    );
    return { topic, partition, fromSize, toSize, path };
  }
}
