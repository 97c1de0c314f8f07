import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import teardown from './engines-global-teardown';
import { freePortPair, kafkaStackAsync } from './kafka-broker';
import { minioStackAsync, TEST_S3_CREDENTIALS } from './minio-server';
import { installTestPythonVenvs } from './python-venvs';
import { runStackScriptAsync } from './stack-script';
import { dockerAnswers, engineSource, type EngineSource } from './engine-source';
import * as containers from './engine-containers';

/**
 * Integration projects' global setup: the real engines of the distributed mode. An engine named in the environment
 * (RUNLOG_KAFKA_BROKERS; RUNLOG_S3_ENDPOINT with its keys; RUNLOG_CLICKHOUSE_URL) is used as is. Otherwise this run
 * starts its own: as containers when a Docker engine answers (test/support/engine-containers.ts), else natively
 * (deploy/stack) on a free port and a fresh state dir each, so it meets neither a developer's stack nor another run.
 * Test workers start after this and inherit process.env, which is how the suites learn the addresses; the teardown,
 * which jest runs in this same context, reads the rest from it.
 */
export default async function setup(): Promise<void> {
  const env = process.env;
  const named = {
    kafka: Boolean(env.RUNLOG_KAFKA_BROKERS),
    s3: Boolean(env.RUNLOG_S3_ENDPOINT),
    clickhouse: Boolean(env.RUNLOG_CLICKHOUSE_URL),
  };
  // Docker is asked once, and only if some engine is not named.
  const docker = Object.values(named).every(Boolean) ? false : await dockerAnswers();
  const source = (isNamed: boolean): EngineSource => engineSource(isNamed, docker, env.RUNLOG_TEST_ENGINES);
  const kafka = source(named.kafka);
  const s3 = source(named.s3);
  const clickhouse = source(named.clickhouse);
  if ([kafka, s3, clickhouse].includes('testcontainers')) {
    await startContainers({ kafka, s3, clickhouse });
  }
  // On a fresh machine the MinIO build compiles for minutes while the Python venvs download for minutes: all of
  // it goes at once, and the engines start meanwhile.
  const started = await Promise.allSettled([
    kafka === 'native' ? startKafka() : undefined,
    s3 === 'native' ? startMinio() : undefined,
    clickhouse === 'native' ? startClickHouse() : undefined,
    installTestPythonVenvs(),
  ]);
  const failures = started.flatMap((outcome) =>
    outcome.status === 'rejected' ? [outcome.reason as unknown] : [],
  );
  if (failures.length > 0) {
    // Jest runs no teardown when the setup throws: stop the engines that did start before reporting.
    await teardown().catch((error: unknown) => failures.push(error));
    throw failures.length === 1 ? failures[0] : new AggregateError(failures, 'engines failed to start');
  }
  console.log(`engines: Kafka ${kafka}, S3 ${s3}, ClickHouse ${clickhouse}`);
}

const portsTaken = new Set<number>();

/** A free port pair no other engine of this setup was given (they are picked before any of them listens). */
async function portPairForEngine(): Promise<number> {
  for (;;) {
    const port = await freePortPair();
    if (!portsTaken.has(port) && !portsTaken.has(port + 1)) {
      portsTaken.add(port).add(port + 1);
      return port;
    }
  }
}

/** Forgets an engine whose start failed: it cleaned up after itself, so the teardown must not stop it again. */
function forget(...names: string[]): void {
  for (const name of names) delete process.env[name];
}

async function startContainers(sources: Record<'kafka' | 's3' | 'clickhouse', EngineSource>): Promise<void> {
  try {
    if (sources.kafka === 'testcontainers') {
      process.env.RUNLOG_KAFKA_BROKERS = await containers.startKafkaContainer();
    }
    if (sources.s3 === 'testcontainers') {
      const minio = await containers.startMinioContainer();
      process.env.RUNLOG_S3_ENDPOINT = minio.endpoint;
      process.env.RUNLOG_S3_ACCESS_KEY = minio.accessKey;
      process.env.RUNLOG_S3_SECRET_KEY = minio.secretKey;
    }
    if (sources.clickhouse === 'testcontainers') {
      const clickhouse = await containers.startClickHouseContainer();
      process.env.RUNLOG_CLICKHOUSE_URL = clickhouse.url;
      process.env.RUNLOG_CLICKHOUSE_USER = clickhouse.user;
      process.env.RUNLOG_CLICKHOUSE_PASSWORD = clickhouse.password;
    }
  } catch (error) {
    await containers.stopContainers();
    throw error;
  }
  // The teardown runs in this process but may load its modules afresh: it finds the stopper here.
  (globalThis as { stopRunlogTestContainers?: () => Promise<void> }).stopRunlogTestContainers =
    containers.stopContainers;
}

/** The ClickHouse HTTP interface over chDB (deploy/stack/clickhouse.sh); suites share it, one database each. */
async function startClickHouse(): Promise<void> {
  const started = Date.now();
  const port = await portPairForEngine();
  const stateDir = mkdtempSync(join(tmpdir(), 'runlog-clickhouse-'));
  process.env.RUNLOG_TEST_CLICKHOUSE_PORT = String(port);
  process.env.RUNLOG_TEST_CLICKHOUSE_STATE_DIR = stateDir;
  const env = { CLICKHOUSE_PORT: String(port), CLICKHOUSE_STATE_DIR: stateDir };
  try {
    await runStackScriptAsync('clickhouse.sh', 'up', env, 90_000);
  } catch (error) {
    try {
      await runStackScriptAsync('clickhouse.sh', 'down', env, 60_000);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
      forget('RUNLOG_TEST_CLICKHOUSE_PORT', 'RUNLOG_TEST_CLICKHOUSE_STATE_DIR');
    }
    throw error;
  }
  process.env.RUNLOG_CLICKHOUSE_URL = `http://127.0.0.1:${port}`;
  console.log(
    `clickhouse: chDB over HTTP up at ${process.env.RUNLOG_CLICKHOUSE_URL} in ${Date.now() - started} ms`,
  );
}

async function startKafka(): Promise<void> {
  const started = Date.now();
  const port = await portPairForEngine();
  const stateDir = mkdtempSync(join(tmpdir(), 'runlog-kafka-'));
  process.env.RUNLOG_TEST_KAFKA_PORT = String(port);
  process.env.RUNLOG_TEST_KAFKA_STATE_DIR = stateDir;
  try {
    await kafkaStackAsync('up', { port, stateDir });
  } catch (error) {
    // Jest runs no teardown when the setup throws: stop whatever half-started here before reporting.
    try {
      await kafkaStackAsync('down', { port, stateDir });
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
      forget('RUNLOG_TEST_KAFKA_PORT', 'RUNLOG_TEST_KAFKA_STATE_DIR');
    }
    throw error;
  }
  process.env.RUNLOG_KAFKA_BROKERS = `127.0.0.1:${port}`;
  console.log(`\nkafka: test broker up at ${process.env.RUNLOG_KAFKA_BROKERS} in ${Date.now() - started} ms`);
}

async function startMinio(): Promise<void> {
  const started = Date.now();
  const port = await portPairForEngine();
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
    await minioStackAsync('up', target);
  } catch (error) {
    try {
      await minioStackAsync('down', target);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
      forget('RUNLOG_TEST_MINIO_PORT', 'RUNLOG_TEST_MINIO_STATE_DIR');
    }
    throw error;
  }
  process.env.RUNLOG_S3_ENDPOINT = `http://127.0.0.1:${port}`;
  process.env.RUNLOG_S3_ACCESS_KEY = TEST_S3_CREDENTIALS.accessKey;
  process.env.RUNLOG_S3_SECRET_KEY = TEST_S3_CREDENTIALS.secretKey;
  console.log(`minio: test S3 server up at ${process.env.RUNLOG_S3_ENDPOINT} in ${Date.now() - started} ms`);
}
