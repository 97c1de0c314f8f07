import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortPair, kafkaStack } from './kafka-broker';
import { minioStack, TEST_S3_CREDENTIALS } from './minio-server';
import { runStackScript } from './stack-script';

/**
 * Integration project's global setup: the real engines of the distributed mode. An engine named in the environment
 * (RUNLOG_KAFKA_BROKERS; RUNLOG_S3_ENDPOINT with its keys; RUNLOG_CLICKHOUSE_URL) is used as is. Otherwise this run starts its own, natively
 * (deploy/stack): a free port and a fresh state dir each, so it meets neither a developer's stack nor another run.
 * Test workers start after this and inherit process.env, which is how the suites learn the addresses; the teardown,
 * which jest runs in this same context, reads the rest from it.
 */
export default async function setup(): Promise<void> {
  await startKafka();
  await startMinio();
  await startClickHouse();
}

/** The ClickHouse HTTP interface over chDB (deploy/stack/clickhouse.sh); suites share it, one database each. */
async function startClickHouse(): Promise<void> {
  if (process.env.RUNLOG_CLICKHOUSE_URL) return;
  const started = Date.now();
  const port = await freePortPair();
  const stateDir = mkdtempSync(join(tmpdir(), 'runlog-clickhouse-'));
  process.env.RUNLOG_TEST_CLICKHOUSE_PORT = String(port);
  process.env.RUNLOG_TEST_CLICKHOUSE_STATE_DIR = stateDir;
  const env = { CLICKHOUSE_PORT: String(port), CLICKHOUSE_STATE_DIR: stateDir };
  try {
    runStackScript('clickhouse.sh', 'up', env, 90_000);
  } catch (error) {
    try {
      runStackScript('clickhouse.sh', 'down', env, 60_000);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
    throw error;
  }
  process.env.RUNLOG_CLICKHOUSE_URL = `http://127.0.0.1:${port}`;
  console.log(
    `clickhouse: chDB over HTTP up at ${process.env.RUNLOG_CLICKHOUSE_URL} in ${Date.now() - started} ms`,
  );
}

async function startKafka(): Promise<void> {
  if (process.env.RUNLOG_KAFKA_BROKERS) return;
  const started = Date.now();
  const port = await freePortPair();
  const stateDir = mkdtempSync(join(tmpdir(), 'runlog-kafka-'));
  process.env.RUNLOG_TEST_KAFKA_PORT = String(port);
  process.env.RUNLOG_TEST_KAFKA_STATE_DIR = stateDir;
  try {
    kafkaStack('up', { port, stateDir });
  } catch (error) {
    // Jest runs no teardown when the setup throws: stop whatever half-started here before reporting.
    try {
      kafkaStack('down', { port, stateDir });
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
    throw error;
  }
  process.env.RUNLOG_KAFKA_BROKERS = `127.0.0.1:${port}`;
  console.log(`\nkafka: test broker up at ${process.env.RUNLOG_KAFKA_BROKERS} in ${Date.now() - started} ms`);
}

async function startMinio(): Promise<void> {
  if (process.env.RUNLOG_S3_ENDPOINT) return;
  const started = Date.now();
  const port = await freePortPair();
  const stateDir = mkdtempSync(join(tmpdir(), 'runlog-minio-'));
  const target = {
    port,
    consolePort: port + 1,
    dataDir: join(stateDir, 'data'),
    runDir: join(stateDir, 'run'),
  };
  process.env.RUNLOG_TEST_MINIO_PORT = String(port);
  process.env.RUNLOG_TEST_MINIO_STATE_DIR = stateDir;
  try {
    minioStack('up', target);
  } catch (error) {
    try {
      minioStack('down', target);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
    throw error;
  }
  process.env.RUNLOG_S3_ENDPOINT = `http://127.0.0.1:${port}`;
  process.env.RUNLOG_S3_ACCESS_KEY = TEST_S3_CREDENTIALS.accessKey;
  process.env.RUNLOG_S3_SECRET_KEY = TEST_S3_CREDENTIALS.secretKey;
  console.log(`minio: test S3 server up at ${process.env.RUNLOG_S3_ENDPOINT} in ${Date.now() - started} ms`);
}
