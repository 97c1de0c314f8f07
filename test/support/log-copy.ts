import { DatabaseSync } from 'node:sqlite';
import { Kafka, logLevel } from 'kafkajs';
import type { EventEnvelope } from '../../libs/events/src/envelope';
import type { EventLog } from '../../libs/log/src/event-log';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER } from '../../libs/log/src/kafka-event-log';
import { embeddedLogPath } from '../../libs/log/src/open-event-log';
import { openServerLog } from './server-log';
import { distributedEnv, makeDataDir } from './runlog-process';

/** What a tamper does to one partition's events, in log order: the copy holds what it returns. */
export type Tamper = (topic: string, partition: number, events: EventEnvelope[]) => EventEnvelope[];

/**
 * Copies every record of `topics` from a server's log into a new data dir's log, through `tamper`, byte for byte
 * otherwise: the embedded log's rows written straight into a new file, or Kafka records produced straight into the
 * new data dir's namespace (same partitions). The copy is what a server started on the new data dir serves, and
 * what `runlog audit verify` reads with its environment. No Runlog append path is used: it would re-seal the events.
 */
export async function copyLog(source: EventLog, topics: readonly string[], tamper: Tamper): Promise<string> {
  const dataDir = makeDataDir();
  const partitions: { topic: string; partition: number; events: EventEnvelope[] }[] = [];
  for (const topic of topics) {
    for (const [partition, end] of await source.endOffsets(topic)) {
      const events: EventEnvelope[] = [];
      for (let next = 0; next < end;) {
        const records = await source.read(topic, partition, next, 1_000);
        if (records.length === 0) break;
        events.push(...records.map((record) => record.event));
        next = records[records.length - 1].offset + 1;
      }
      partitions.push({ topic, partition, events: tamper(topic, partition, events) });
    }
  }
  const kafkaEnv = distributedEnv(dataDir);
  if (kafkaEnv.RUNLOG_KAFKA_BROKERS) await produceCopy(dataDir, kafkaEnv, partitions);
  else await writeEmbeddedCopy(dataDir, partitions);
  return dataDir;
}

async function writeEmbeddedCopy(
  dataDir: string,
  partitions: { topic: string; events: EventEnvelope[] }[],
): Promise<void> {
  // The server makes the schema when it opens the file; the copy makes it the same way first.
  await (await openServerLog(dataDir)).close();
  const db = new DatabaseSync(embeddedLogPath(dataDir));
  const insert = db.prepare(
    'INSERT INTO events (topic, stream, stream_version, id, body) VALUES (?, ?, ?, ?, ?)',
  );
  const head = db.prepare('INSERT OR REPLACE INTO streams (stream, version, last_hash) VALUES (?, ?, ?)');
  const versions = new Map<string, number>();
  db.exec('BEGIN');
  for (const { topic, events } of partitions) {
    for (const event of events) {
      const version = (versions.get(event.stream) ?? 0) + 1;
      versions.set(event.stream, version);
      insert.run(topic, event.stream, version, event.id, JSON.stringify(event));
      head.run(event.stream, version, event.hash);
    }
  }
  db.exec('COMMIT');
  db.close();
}

async function produceCopy(
  dataDir: string,
  env: Record<string, string>,
  partitions: { topic: string; partition: number; events: EventEnvelope[] }[],
): Promise<void> {
  // The copy's topics are made as the server makes them (their partition counts), then filled directly.
  const log = await openServerLog(dataDir);
  for (const topic of new Set(partitions.map((p) => p.topic))) await log.endOffsets(topic);
  await log.close();
  const kafka = new Kafka({
    brokers: env.RUNLOG_KAFKA_BROKERS.split(','),
    clientId: 'runlog-test-log-copy',
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (const { topic, partition, events } of partitions) {
      if (events.length === 0) continue;
      await producer.send({
        topic: `${env.RUNLOG_KAFKA_NAMESPACE}${topic}`,
        acks: -1,
        messages: events.map((event) => ({
          partition,
          key: event.stream,
          value: JSON.stringify(event),
          headers: { [EVENT_ID_HEADER]: event.id, [EVENT_TYPE_HEADER]: event.type },
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}
