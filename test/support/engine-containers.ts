import { ClickHouseContainer } from '@testcontainers/clickhouse';
import { KafkaContainer } from '@testcontainers/kafka';
import { MinioContainer } from '@testcontainers/minio';
import type { StartedTestContainer } from 'testcontainers';
import { TEST_S3_CREDENTIALS } from './minio-server';

/**
 * The engines as containers, for machines with a Docker engine (the same images docker-compose.yml names). The CI
 * machine of this project has none, so this path is written to the modules' documented API and not run there.
 */
const started: StartedTestContainer[] = [];

export async function startKafkaContainer(): Promise<string> {
  const kafka = await new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().start();
  started.push(kafka);
  return `${kafka.getHost()}:${kafka.getMappedPort(9093)}`;
}

export async function startMinioContainer(): Promise<{
  endpoint: string;
  accessKey: string;
  secretKey: string;
}> {
  const minio = await new MinioContainer('minio/minio:RELEASE.2025-09-07T16-13-09Z')
    .withUsername(TEST_S3_CREDENTIALS.accessKey)
    .withPassword(TEST_S3_CREDENTIALS.secretKey)
    .start();
  started.push(minio);
  return {
    endpoint: minio.getConnectionUrl(),
    accessKey: minio.getUsername(),
    secretKey: minio.getPassword(),
  };
}

export async function startClickHouseContainer(): Promise<{ url: string; user: string; password: string }> {
  const clickhouse = await new ClickHouseContainer('clickhouse/clickhouse-server:25.8').start();
  started.push(clickhouse);
  return { url: clickhouse.getHttpUrl(), user: clickhouse.getUsername(), password: clickhouse.getPassword() };
}

export async function stopContainers(): Promise<void> {
  await Promise.allSettled(started.splice(0).map((container) => container.stop()));
}
