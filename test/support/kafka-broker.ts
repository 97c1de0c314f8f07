import { Kafka, logLevel, type Admin } from 'kafkajs';
import { createServer } from 'node:net';
import { runStackScript, runStackScriptAsync } from './stack-script';

/** The broker developers start by hand (`bash deploy/stack/kafka.sh up`), used when nothing else is named. */
export const DEVELOPER_BROKER = '127.0.0.1:19092';

/** Brokers for Kafka suites: RUNLOG_KAFKA_BROKERS (comma-separated; set by the global setup), else the dev stack. */
export function kafkaBrokers(): string[] {
  const configured = process.env.RUNLOG_KAFKA_BROKERS ?? DEVELOPER_BROKER;
  return configured
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
}

export interface KafkaStackTarget {
  /** PLAINTEXT port; kafka.sh puts the controller on port + 1. */
  port: number;
  /** Config, data and logs of this broker only. */
  stateDir: string;
}

const stackEnv = (target: KafkaStackTarget) => ({
  KAFKA_PORT: String(target.port),
  KAFKA_STATE_DIR: target.stateDir,
});
// kafka.sh waits up to KAFKA_READY_TIMEOUT (90 s) itself; this only guards against a hung script.
const KAFKA_SCRIPT_TIMEOUT_MS = 180_000;

/** Runs deploy/stack/kafka.sh for one broker; throws with the script's output when it fails. */
export function kafkaStack(command: 'up' | 'down', target: KafkaStackTarget): string {
  return runStackScript('kafka.sh', command, stackEnv(target), KAFKA_SCRIPT_TIMEOUT_MS);
}

/** kafkaStack without blocking the event loop (the global setup starts the engines side by side). */
export function kafkaStackAsync(command: 'up' | 'down', target: KafkaStackTarget): Promise<string> {
  return runStackScriptAsync('kafka.sh', command, stackEnv(target), KAFKA_SCRIPT_TIMEOUT_MS);
}

/** A port p such that p and p + 1 are free on 127.0.0.1 now (the broker's listener and its controller's). */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if ((await portFree(port)) && (await portFree(port + 1))) return port;
  }
  throw new Error('no two adjacent free ports found for the test Kafka broker');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A connected kafkajs admin on the test broker, to look behind the adapter's back; disconnect it after use. */
export async function testKafkaAdmin(): Promise<Admin> {
  const admin = new Kafka({
    brokers: kafkaBrokers(),
    clientId: 'runlog-test-admin',
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  return admin;
}
