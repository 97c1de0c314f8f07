import { verifyStreamChain, type EventEnvelope } from '../../events/src/envelope';
import type { EventLog, LogRecord } from '../../log/src/event-log';

export interface LogPosition {
  topic: string;
  partition: number;
  offset: number;
}

/** A position an index named where the log holds no record: the index (a projection) and the log disagree. */
export class MissingRecordError extends Error {
  constructor(readonly position: LogPosition) {
    super(`the log holds no record at ${position.topic}/${position.partition} offset ${position.offset}`);
  }
}

/**
 * Events read back from the log at the positions an index names, as recorded (not as projected): time travel and
 * audit trails answer from the truth, with the projection only as the index of where to look. Reads a few at once.
 */
export async function readRecorded(
  log: Pick<EventLog, 'read'>,
  positions: readonly LogPosition[],
  concurrency = 8,
): Promise<LogRecord[]> {
  const records: LogRecord[] = new Array(positions.length);
  let next = 0;
  const worker = async () => {
    while (next < positions.length) {
      const index = next++;
      const position = positions[index];
      const [record] = await log.read(position.topic, position.partition, position.offset, 1);
      if (!record || record.offset !== position.offset) throw new MissingRecordError(position);
      records[index] = record;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, positions.length) }, worker));
  return records;
}

/**
 * Whether events read in order are an unbroken piece of their stream's chain: each hash recomputes from its fields
 * and each links to the one before it. The first one's own link is to an event before the piece, which is not
 * checked unless the piece starts the stream (then it must link to nothing).
 */
export function chainIntact(events: readonly EventEnvelope[], startsStream: boolean): boolean {
  return verifyStreamChain(events, startsStream) === null;
}
