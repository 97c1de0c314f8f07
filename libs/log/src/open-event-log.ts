import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EventLog } from './event-log';
import { KafkaEventLog, type KafkaEventLogConfig } from './kafka-event-log';
import { SqliteEventLog } from './sqlite-event-log';

/** Where a deployment's log is: Kafka when brokers are named, else the embedded log in the data dir. */
export interface EventLogLocation {
  kafkaBrokers?: string[];
  kafkaNamespace?: string;
  dataDir: string;
}

/** The same variables the server reads (RUNLOG_KAFKA_BROKERS, RUNLOG_KAFKA_NAMESPACE, RUNLOG_DATA_DIR). */
export function eventLogLocationFromEnv(env: Record<string, string | undefined>): EventLogLocation {
  const brokers = (env.RUNLOG_KAFKA_BROKERS ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  return {
    ...(brokers.length > 0
      ? { kafkaBrokers: brokers, kafkaNamespace: env.RUNLOG_KAFKA_NAMESPACE ?? '' }
      : {}),
    dataDir: resolve(env.RUNLOG_DATA_DIR || '.runlog'),
  };
}

export function embeddedLogPath(dataDir: string): string {
  return join(dataDir, 'log', 'events.sqlite');
}

export function describeEventLogLocation(location: EventLogLocation): string {
  return location.kafkaBrokers
    ? `Kafka at ${location.kafkaBrokers.join(',')}${location.kafkaNamespace ? ` (namespace ${location.kafkaNamespace})` : ''}`
    : embeddedLogPath(location.dataDir);
}

export interface OpenEventLogOptions {
  clientId: string;
  /** Refuse to create an embedded log where none is (a reader, not a server). */
  mustExist?: boolean;
  kafka?: Omit<KafkaEventLogConfig, 'brokers' | 'clientId' | 'namespace'>;
}

export async function openEventLogAt(
  location: EventLogLocation,
  options: OpenEventLogOptions,
): Promise<EventLog> {
  if (location.kafkaBrokers?.length) {
    return KafkaEventLog.connect({
      ...options.kafka,
      brokers: location.kafkaBrokers,
      clientId: options.clientId,
      namespace: location.kafkaNamespace,
    });
  }
  const path = embeddedLogPath(location.dataDir);
  if (options.mustExist && !existsSync(path)) {
    throw new Error(`no event log at ${path} (set RUNLOG_DATA_DIR, or RUNLOG_KAFKA_BROKERS for Kafka)`);
  }
  return SqliteEventLog.open({ path });
}
