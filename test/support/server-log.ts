import { join } from 'node:path';
import type { EventLog } from '../../libs/log/src/event-log';
import { KafkaEventLog } from '../../libs/log/src/kafka-event-log';
import { SqliteEventLog } from '../../libs/log/src/sqlite-event-log';
import { distributedEnv } from './runlog-process';

/**
 * The event log a test server on this data dir writes, opened from the test to look behind the API: its node:sqlite
 * file (several processes may share it), or under the Kafka test project its namespace on the global setup's broker.
 */
export async function openServerLog(dataDir: string): Promise<EventLog> {
  const distributed = distributedEnv(dataDir);
  if (distributed.RUNLOG_KAFKA_BROKERS) {
    return KafkaEventLog.connect({
      brokers: distributed.RUNLOG_KAFKA_BROKERS.split(','),
      clientId: 'runlog-test-reader',
      namespace: distributed.RUNLOG_KAFKA_NAMESPACE,
    });
  }
  return SqliteEventLog.open({ path: join(dataDir, 'log', 'events.sqlite') });
}

/** Where the log ends, per topic and partition: unchanged across a refused request. */
export async function logEnds(log: EventLog, topics: readonly string[]): Promise<Record<string, number>> {
  const ends: Record<string, number> = {};
  for (const topic of topics) {
    for (const [partition, offset] of await log.endOffsets(topic)) ends[`${topic}/${partition}`] = offset;
  }
  return ends;
}
