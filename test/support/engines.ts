import { Client } from 'minio';
/**
 * Where the real engines of the distributed mode are, for the integration suites: the environment names them
 * (RUNLOG_S3_ENDPOINT…, set by a developer or by the jest global setup that started the native stack).
 */
export interface S3Endpoint {
  endpoint: string;
  accessKey: string;
  secretKey: string;
}

export function s3Endpoint(env: NodeJS.ProcessEnv = process.env): S3Endpoint {
  const endpoint = env.RUNLOG_S3_ENDPOINT;
  const accessKey = env.RUNLOG_S3_ACCESS_KEY;
  const secretKey = env.RUNLOG_S3_SECRET_KEY;
  if (!endpoint || !accessKey || !secretKey) {
    throw new Error(
      'RUNLOG_S3_ENDPOINT, RUNLOG_S3_ACCESS_KEY and RUNLOG_S3_SECRET_KEY must name an S3 server',
    );
  }
  return { endpoint, accessKey, secretKey };
}

/** A `minio` client on the test S3 server, to look behind an adapter's back. */
export function s3Client(s3: S3Endpoint = s3Endpoint()): Client {
  const url = new URL(s3.endpoint);
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: url.protocol === 'https:',
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
  });
}

/**
 * The environment of one of several Runlog processes sharing the test run's engines under `id`: one Kafka namespace,
 * one ClickHouse database and one bucket, so that the processes see one log, one store and one artifact store.
 */
export function sharedEnginesEnv(id: string, clickhouse: Record<string, string>): Record<string, string> {
  const s3 = s3Endpoint();
  return {
    RUNLOG_KAFKA_BROKERS: process.env.RUNLOG_KAFKA_BROKERS ?? '',
    RUNLOG_KAFKA_NAMESPACE: `${id}.`,
    ...clickhouse,
    RUNLOG_CLICKHOUSE_DATABASE: id,
    RUNLOG_S3_ENDPOINT: s3.endpoint,
    RUNLOG_S3_ACCESS_KEY: s3.accessKey,
    RUNLOG_S3_SECRET_KEY: s3.secretKey,
    RUNLOG_S3_BUCKET: id.replaceAll('_', '-'),
  };
}
