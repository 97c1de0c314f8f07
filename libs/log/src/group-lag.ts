import type { EventLog } from './event-log';

export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: number;
  endOffset: number;
  lag: number;
}

/** How far a consumer group is behind the log's end, per topic and partition (a partition it never read: all). */
export async function groupLag(
  log: EventLog,
  groupId: string,
  topics: readonly string[],
): Promise<PartitionLag[]> {
  const lags: PartitionLag[] = [];
  for (const topic of topics) {
    const [ends, committed] = await Promise.all([
      log.endOffsets(topic),
      log.committedOffsets(groupId, topic),
    ]);
    for (const [partition, endOffset] of ends) {
      const committedOffset = committed.get(partition) ?? 0;
      lags.push({
        topic,
        partition,
        committedOffset,
        endOffset,
        lag: Math.max(0, endOffset - committedOffset),
      });
    }
  }
  return lags;
}
