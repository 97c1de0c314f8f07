import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaStack } from './kafka-broker';
import { minioStack } from './minio-server';
import { runStackScript } from './stack-script';

/** Stops what the global setup started and removes its state; engines named by the caller are left alone. */
export default async function teardown(): Promise<void> {
  const holder = globalThis as { stopRunlogTestContainers?: () => Promise<void> };
  await holder.stopRunlogTestContainers?.();
  delete holder.stopRunlogTestContainers;
  try {
    stopKafka();
  } finally {
    try {
      stopMinio();
    } finally {
      stopClickHouse();
    }
  }
}

function stopClickHouse(): void {
  const port = process.env.RUNLOG_TEST_CLICKHOUSE_PORT;
  const stateDir = process.env.RUNLOG_TEST_CLICKHOUSE_STATE_DIR;
  if (!port || !stateDir) return;
  try {
    runStackScript(
      'clickhouse.sh',
      'down',
      { CLICKHOUSE_PORT: port, CLICKHOUSE_STATE_DIR: stateDir },
      60_000,
    );
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    delete process.env.RUNLOG_TEST_CLICKHOUSE_PORT;
    delete process.env.RUNLOG_TEST_CLICKHOUSE_STATE_DIR;
    delete process.env.RUNLOG_CLICKHOUSE_URL;
  }
}

function stopKafka(): void {
  const port = Number(process.env.RUNLOG_TEST_KAFKA_PORT);
  const stateDir = process.env.RUNLOG_TEST_KAFKA_STATE_DIR;
  if (!port || !stateDir) return;
  try {
    kafkaStack('down', { port, stateDir });
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    delete process.env.RUNLOG_TEST_KAFKA_PORT;
    delete process.env.RUNLOG_TEST_KAFKA_STATE_DIR;
    delete process.env.RUNLOG_KAFKA_BROKERS;
  }
}

function stopMinio(): void {
  const port = Number(process.env.RUNLOG_TEST_MINIO_PORT);
  const stateDir = process.env.RUNLOG_TEST_MINIO_STATE_DIR;
  if (!port || !stateDir) return;
  try {
    minioStack('down', {
      port,
      consolePort: port + 1,
      dataDir: join(stateDir, 'data'),
      runDir: join(stateDir, 'run'),
    });
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    delete process.env.RUNLOG_TEST_MINIO_PORT;
    delete process.env.RUNLOG_TEST_MINIO_STATE_DIR;
    delete process.env.RUNLOG_S3_ENDPOINT;
    delete process.env.RUNLOG_S3_ACCESS_KEY;
    delete process.env.RUNLOG_S3_SECRET_KEY;
  }
}
