import { TOPICS } from '../../events/src/envelope';
import type { EventLog } from '../../log/src/event-log';
import type { TreeHead } from './checkpoint';
import { LogAuditor, type AuditReport } from './log-auditor';

/** Every topic Runlog writes, the ones kept forever first. */
export const AUDITED_TOPICS: readonly string[] = [
  TOPICS.lifecycle,
  TOPICS.registry,
  TOPICS.access,
  TOPICS.deadletter,
  TOPICS.metrics,
];

export interface AuditProgress {
  topic: string;
  partition: number;
  /** Records read so far, over every partition. */
  read: number;
  /** Records in every partition when the scan began (the end it reads to). */
  total: number;
}

export interface AuditScanOptions {
  topics?: readonly string[];
  checkpoints?: readonly TreeHead[];
  /** Records per read: bounds the memory the scan holds at once. */
  batchSize?: number;
  onProgress?: (progress: AuditProgress) => void;
}

type ReadableLog = Pick<EventLog, 'read' | 'endOffsets'>;

/**
 * Reads every partition of the audited topics from its start to the end it had when the scan began, feeding each
 * record to a LogAuditor: a history appended to meanwhile is audited as it was at the start.
 */
export async function auditEventLog(log: ReadableLog, options: AuditScanOptions = {}): Promise<AuditReport> {
  const topics = options.topics ?? AUDITED_TOPICS;
  const batchSize = options.batchSize ?? 2_000;
  const auditor = new LogAuditor(options.checkpoints ?? []);
  const ends: { topic: string; partition: number; end: number }[] = [];
  for (const topic of topics) {
    const offsets = await log.endOffsets(topic);
    for (const [partition, end] of [...offsets].sort(([a], [b]) => a - b))
      ends.push({ topic, partition, end });
  }
  // The embedded log's offsets are global to its file, so a partition's end overstates its records; progress
  // counts offsets to read, which is the true amount of work on Kafka and an upper bound on the embedded log.
  const total = ends.reduce((sum, { end }) => sum + end, 0);
  let read = 0;
  for (const { topic, partition, end } of ends) {
    auditor.partitionOf(topic, partition);
    let next = 0;
    while (next < end) {
      const records = await readSome(log, topic, partition, next, batchSize);
      const inRange = records.filter((record) => record.offset < end);
      for (const record of inRange) auditor.accept(record);
      if (inRange.length === 0) break;
      const advanced = inRange[inRange.length - 1].offset + 1;
      read += advanced - next;
      next = advanced;
      options.onProgress?.({ topic, partition, read, total });
      if (inRange.length < records.length) break;
    }
    read += end - next;
  }
  options.onProgress?.({ topic: '', partition: -1, read: total, total });
  return auditor.finish();
}

/**
 * A read that came back empty before the end is asked again a few times: a Kafka fetch may be empty for a moment,
 * and ending the partition there would leave its last events unchecked. On the embedded log an empty read means the
 * topic has nothing more below the end (its offsets are shared with the other topics).
 */
async function readSome(
  log: ReadableLog,
  topic: string,
  partition: number,
  from: number,
  batchSize: number,
): ReturnType<ReadableLog['read']> {
  for (let attempt = 0; ; attempt++) {
    const records = await log.read(topic, partition, from, batchSize);
    if (records.length > 0 || attempt >= 3) return records;
    await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
  }
}
