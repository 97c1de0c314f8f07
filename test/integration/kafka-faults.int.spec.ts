import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countingSummary, runSummary } from '../support/counting-batches';
import { freePortPair, kafkaStack, type KafkaStackTarget } from '../support/kafka-broker';
import { sendBatchesWithRetry, type RetryLog } from '../support/retrying-client';
import { createExperimentAndRun, post, waitForProjection } from '../support/runlog-client';
import {
  clickhouseEngineEnv,
  makeDataDir,
  removeDataDir,
  startRunlog,
  type RunlogProcess,
} from '../support/runlog-process';

const POINTS_PER_BATCH = 2_000;

/**
 * Faults of the distributed mode on real engines: a broker of this suite's own (the shared one serves the other
 * suites meanwhile), ClickHouse over HTTP from the global setup.
 */
describe('Kafka faults under load', () => {
  let broker: KafkaStackTarget;
  const dirs: string[] = [];
  const processes: RunlogProcess[] = [];

  beforeAll(async () => {
    broker = { port: await freePortPair(), stateDir: mkdtempSync(join(tmpdir(), 'runlog-kafka-faults-')) };
    kafkaStack('up', broker);
  });

  afterAll(async () => {
    for (const started of processes) await started.kill();
    dirs.forEach(removeDataDir);
    try {
      kafkaStack('down', broker);
    } finally {
      rmSync(broker.stateDir, { recursive: true, force: true });
    }
  });

  async function start(env: Record<string, string> = {}, dataDir = makeDataDir()) {
    if (!dirs.includes(dataDir)) dirs.push(dataDir);
    const started = await startRunlog(dataDir, {
      RUNLOG_KAFKA_BROKERS: `127.0.0.1:${broker.port}`,
      RUNLOG_KAFKA_NAMESPACE: 'faults.',
      ...clickhouseEngineEnv(),
      RUNLOG_CLICKHOUSE_DATABASE: 'kafka_faults',
      ...env,
    });
    processes.push(started);
    return started;
  }

  it('loses no acknowledged point when the broker restarts under load; clients retry 503s with the same ids', async () => {
    const runlog = await start();
    const { runId } = await createExperimentAndRun(runlog.base, 'broker-restart');
    const log: RetryLog = { statuses: new Map(), retryAfter: 0 };
    const batches = Array.from({ length: 60 }, (_, b) => b);

    const load = sendBatchesWithRetry([runlog.base], runId, batches, POINTS_PER_BATCH, log);
    // Down while requests are in flight, long enough that kafkajs's own retries (~10 s) give up on some.
    while (log.statuses.size < 10) await new Promise((resolve) => setTimeout(resolve, 20));
    kafkaStack('down', broker);
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    kafkaStack('up', broker);
    await load;

    const answers = [...log.statuses.values()].flat();
    expect(answers.filter((status) => status === 200)).toHaveLength(batches.length);
    // The outage was seen as retryable 503s, not as 500s or acknowledged-then-lost batches.
    expect(answers.filter((status) => status === 503).length).toBeGreaterThan(0);
    expect(log.retryAfter).toBe(answers.filter((status) => status === 503).length);

    expect(await post(runlog.base, `/api/v1/runs/${runId}/finish`, {})).toMatchObject({ status: 200 });
    await waitForProjection(runlog.base, 180_000);
    expect(await runSummary(runlog.base, runId)).toEqual({
      status: 'finished',
      metrics: countingSummary(batches.length, POINTS_PER_BATCH),
    });
    // ~20 s alone; a broker restart on a loaded 2-core machine once took the test past the default 120 s.
  }, 240_000);
});
