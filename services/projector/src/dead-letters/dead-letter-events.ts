import { createHash } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import { TOPICS, type NewEvent } from '../../../../libs/events/src/envelope';
import type { EventLog, LogRecord } from '../../../../libs/log/src/event-log';
import type { DeadLetterRow } from '../../../../libs/store/src';

const DEAD_LETTER_NAMESPACE = '6f1d9a52-4c1e-4b8e-9a63-2f0f4b7c9e11';

export const DEAD_LETTER_EVENT_TYPES = [
  'projection.deadlettered',
  'projection.reprojection_failed',
  'projection.reprojected',
] as const;
export type DeadLetterEventType = (typeof DEAD_LETTER_EVENT_TYPES)[number];

/** Every deadletter event carries the letter in full, so its projection needs no earlier row to fill a field. */
export type DeadLetterPayload = Omit<DeadLetterRow, 'status' | 'resolvedAt' | 'deadLetteredAt'> & {
  /** When it was first dead-lettered (absent on the first event: its own occurredAt). */
  deadLetteredAt?: number;
};

/**
 * One stream per source partition (`deadletter:<group>:<topic>:<partition>`): a partition is projected by one
 * member of the group at a time, so each stream keeps one writer and one hash chain even with several projectors.
 */
export const deadLetterStream = (groupId: string, topic: string, partition: number) =>
  `deadletter:${groupId}:${topic}:${partition}`;

/** Whether a deadletter stream is this group's (any source partition). */
export const isDeadLetterStreamOf = (stream: string, groupId: string) =>
  stream.startsWith(`deadletter:${groupId}:`);

/** A letter's facts from the record itself; fields of a record too broken to have them stay null. */
export function describeRecord(
  record: LogRecord,
): Pick<DeadLetterPayload, 'topic' | 'partition' | 'offset' | 'eventId' | 'eventType' | 'stream'> {
  const event = record.event as Partial<Record<'id' | 'type' | 'stream', unknown>> | null;
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    eventId: text(event?.id),
    eventType: text(event?.type),
    stream: text(event?.stream),
  };
}

/**
 * Appends the projector's dead-letter history to the log (`deadletter:<group>` on TOPICS.deadletter). Ids are
 * derived from the record's position where the fact can happen only once, so a batch re-projected after a crash
 * dead-letters each record once, and a re-projection retried after a crash resolves it once.
 */
export class DeadLetterEvents {
  constructor(
    private readonly log: EventLog,
    private readonly groupId: string,
  ) {}

  async deadLettered(letters: DeadLetterPayload[]) {
    for (const letter of letters) await this.append([this.event('projection.deadlettered', letter, '')]);
  }

  /**
   * A re-projection that failed again: the letter stays open with the new error. The id is derived from the error,
   * so asking again while nothing changed appends nothing (a repeated request cannot flood the log).
   */
  reprojectionFailed(letter: DeadLetterPayload) {
    const failure = createHash('sha256')
      .update(`${letter.reason}\n${letter.step}\n${letter.error}`)
      .digest('hex');
    return this.append([this.event('projection.reprojection_failed', letter, `/failed/${failure}`)]);
  }

  reprojected(letter: DeadLetterPayload) {
    return this.append([this.event('projection.reprojected', letter, '/reprojected')]);
  }

  private event(type: DeadLetterEventType, payload: DeadLetterPayload, idSuffix: string): NewEvent {
    return {
      id: uuidv5(
        `${this.groupId}/${payload.topic}/${payload.partition}/${payload.offset}${idSuffix}`,
        DEAD_LETTER_NAMESPACE,
      ),
      type,
      v: 1,
      workspace: 'system',
      actor: this.groupId,
      occurredAt: new Date().toISOString(),
      payload,
    };
  }

  private async append(events: NewEvent[]): Promise<void> {
    for (const event of events) {
      const { topic, partition } = event.payload as DeadLetterPayload;
      await this.log.appendToStream(TOPICS.deadletter, deadLetterStream(this.groupId, topic, partition), [
        event,
      ]);
    }
  }
}
