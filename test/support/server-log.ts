import type { EventLog } from '../../libs/log/src/event-log';
import { eventLogLocationFromEnv, openEventLogAt } from '../../libs/log/src/open-event-log';
import { distributedEnv } from './runlog-process';

/**
 * The event log a test server on this data dir writes, opened from the test to look behind the API: its node:sqlite
 * file (several processes may share it), or under the Kafka test project its namespace on the global setup's broker.
 */
export function openServerLog(dataDir: string): Promise<EventLog> {
  return openEventLogAt(eventLogLocationFromEnv({ RUNLOG_DATA_DIR: dataDir, ...distributedEnv(dataDir) }), {
    clientId: 'runlog-test-reader',
  });
}

/** Where the log ends, per topic and partition: unchanged across a refused request. */
export async function logEnds(log: EventLog, topics: readonly string[]): Promise<Record<string, number>> {
  const ends: Record<string, number> = {};
  for (const topic of topics) {
    for (const [partition, offset] of await log.endOffsets(topic)) ends[`${topic}/${partition}`] = offset;
  }
  return ends;
}
