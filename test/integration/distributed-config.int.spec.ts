import { randomUUID } from 'node:crypto';
import { s3Client, s3Endpoint } from '../support/engines';
import {
  clickhouseEngineEnv,
  makeDataDir,
  removeDataDir,
  startRunlog,
  type RunlogProcess,
} from '../support/runlog-process';

/** The environment selects the distributed adapters; a server started on all three reports them healthy. */
describe('RUNLOG_KAFKA_BROKERS, RUNLOG_CLICKHOUSE_URL and RUNLOG_S3_ENDPOINT', () => {
  const dirs: string[] = [];
  const processes: RunlogProcess[] = [];
  const s3 = s3Endpoint();

  afterAll(async () => {
    for (const started of processes) await started.stop();
    dirs.forEach(removeDataDir);
  });

  function env(bucket: string, secretKey = s3.secretKey): Record<string, string> {
    const id = `config_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    return {
      RUNLOG_KAFKA_BROKERS: process.env.RUNLOG_KAFKA_BROKERS ?? '',
      RUNLOG_KAFKA_NAMESPACE: `${id}.`,
      ...clickhouseEngineEnv(),
      RUNLOG_CLICKHOUSE_DATABASE: id,
      RUNLOG_S3_ENDPOINT: s3.endpoint,
      RUNLOG_S3_ACCESS_KEY: s3.accessKey,
      RUNLOG_S3_SECRET_KEY: secretKey,
      RUNLOG_S3_BUCKET: bucket,
    };
  }

  it('starts on Kafka, ClickHouse over HTTP and S3, makes its bucket, and says so', async () => {
    const bucket = `runlog-config-${randomUUID().slice(0, 8)}`;
    const dataDir = makeDataDir();
    dirs.push(dataDir);
    const runlog = await startRunlog(dataDir, env(bucket));
    processes.push(runlog);

    // The human summary follows the machine-readable ready line.
    while (!runlog.output().includes('  artifacts ')) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runlog.output()).toContain(`Kafka at ${process.env.RUNLOG_KAFKA_BROKERS}`);
    expect(runlog.output()).toContain(`ClickHouse   ${process.env.RUNLOG_CLICKHOUSE_URL}`);
    expect(runlog.output()).toContain(`artifacts    s3://${bucket} at ${s3.endpoint}`);
    const health = (await (await fetch(`${runlog.base}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({
      status: 'ok',
      clickhouse: true,
      artifacts: { location: `s3://${bucket} at ${s3.endpoint}`, reachable: true },
    });
    const client = s3Client(s3);
    expect(await client.bucketExists(bucket)).toBe(true);
  });

  it('refuses to start when S3 refuses its credentials, naming the setting', async () => {
    const dataDir = makeDataDir();
    dirs.push(dataDir);
    await expect(startRunlog(dataDir, env('runlog-never-made', 'not-the-secret'))).rejects.toThrow(
      /exited with 1 before it was ready[\s\S]*RUNLOG_S3_ENDPOINT http:\/\/127\.0\.0\.1:\d+ \(bucket runlog-never-made\)/,
    );
  });
});
