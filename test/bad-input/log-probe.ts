import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Admin } from 'kafkajs';
import { TOPICS } from '../../libs/events/src/envelope';
import { testKafkaAdmin } from '../support/kafka-broker';
import { distributedEnv } from '../support/runlog-process';

/** The topics ingest writes. The dead-letter topic is the projector's, which moves on its own after a poison record. */
const INGEST_TOPICS = [TOPICS.lifecycle, TOPICS.metrics, TOPICS.registry];

/** Where the log ends, read behind the server's back: moves if and only if something was appended by ingest. */
export interface LogProbe {
  end(): Promise<number>;
  close(): Promise<void>;
}

/** The embedded log's file, opened read-only: SQLite in WAL mode lets other processes read while the server writes. */
function sqliteProbe(dataDir: string): LogProbe {
  const db = new DatabaseSync(join(dataDir, 'log', 'events.sqlite'), { readOnly: true });
  const lastOffset = db.prepare('SELECT coalesce(max("offset"), 0) AS last FROM events WHERE topic = ?');
  return {
    async end() {
      return INGEST_TOPICS.reduce(
        (sum, topic) => sum + Number((lastOffset.get(topic) as { last: number }).last),
        0,
      );
    },
    async close() {
      db.close();
    },
  };
}

/** The server's Kafka topics (its namespace), their high watermarks summed; the log writes no transactions. */
async function kafkaProbe(dataDir: string): Promise<LogProbe> {
  const namespace = distributedEnv(dataDir).RUNLOG_KAFKA_NAMESPACE;
  const admin: Admin = await testKafkaAdmin();
  const physical = INGEST_TOPICS.map((topic) => `${namespace}${topic}`);
  return {
    async end() {
      const existing = new Set(await admin.listTopics());
      let sum = 0;
      for (const topic of physical.filter((name) => existing.has(name))) {
        for (const partition of await admin.fetchTopicOffsets(topic)) sum += Number(partition.high);
      }
      return sum;
    },
    close: () => admin.disconnect(),
  };
}

export function openLogProbe(dataDir: string): Promise<LogProbe> {
  return process.env.RUNLOG_TEST_MODE === 'distributed'
    ? kafkaProbe(dataDir)
    : Promise.resolve(sqliteProbe(dataDir));
}
