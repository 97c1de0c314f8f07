import {
  formatDeadLetterRow,
  insertDeadLetters,
  type ClickhouseWriter,
  type DeadLetterRow,
} from '../../../../libs/store/src';
import type { ConsumedBatch, LogRecord } from '../../../../libs/log/src/event-log';
import {
  DEAD_LETTER_EVENT_TYPES,
  isDeadLetterStreamOf,
  type DeadLetterEventType,
  type DeadLetterPayload,
} from './dead-letter-events';

/** The row a deadletter event leaves; null for events of other groups (stores) and shapes this build cannot read. */
export function deadLetterRowOf(record: LogRecord, groupId: string): DeadLetterRow | null {
  const event = record.event;
  if (!isDeadLetterStreamOf(event.stream, groupId)) return null;
  if (!(DEAD_LETTER_EVENT_TYPES as readonly string[]).includes(event.type)) return null;
  const payload = event.payload as Partial<DeadLetterPayload> | null;
  if (
    typeof payload?.topic !== 'string' ||
    !Number.isInteger(payload.partition) ||
    !Number.isInteger(payload.offset)
  ) {
    return null;
  }
  const type = event.type as DeadLetterEventType;
  // The projector wrote it, but a replay must never stall on one of its own letters: a broken clock reads as now.
  const parsedAt = Date.parse(event.occurredAt);
  const occurredAt = Number.isFinite(parsedAt) ? parsedAt : Date.now();
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    topic: payload.topic,
    partition: payload.partition!,
    offset: payload.offset!,
    status: type === 'projection.reprojected' ? 'resolved' : 'open',
    reason: text(payload.reason) ?? '',
    step: text(payload.step) ?? '',
    tables: Array.isArray(payload.tables) ? payload.tables.filter((t) => typeof t === 'string') : [],
    error: text(payload.error) ?? '',
    eventId: text(payload.eventId),
    eventType: text(payload.eventType),
    stream: text(payload.stream),
    deadLetteredAt: Number.isFinite(payload.deadLetteredAt) ? payload.deadLetteredAt! : occurredAt,
    resolvedAt: type === 'projection.reprojected' ? occurredAt : null,
  };
}

/**
 * The deadletter topic → the dead_letters table (migration 005). Idempotent by the event's position
 * (ReplacingMergeTree version), so it needs no watermark; a failed insert is retried, never dead-lettered itself.
 */
export function createDeadLettersProjection(deps: { writer: ClickhouseWriter; groupId: string }) {
  return async function projectDeadLetters(batch: ConsumedBatch): Promise<number> {
    const lines: string[] = [];
    for (const record of batch.records) {
      const row = deadLetterRowOf(record, deps.groupId);
      if (row) lines.push(formatDeadLetterRow(row, record));
    }
    await insertDeadLetters(deps.writer, lines);
    return lines.length;
  };
}
