import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunlogClient } from '../../libs/sdk/src/runlog';
import { countingSummary, runSummary } from '../support/counting-batches';
import { freePortPair, kafkaStack, type KafkaStackTarget } from '../support/kafka-broker';
import { projectedPointsNow } from '../support/kill-window';
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
    // The projector has joined its group and projected the run before the outage: this test is about ingest through
    // a broker restart. (A consumer whose first join the outage interrupts was seen never to consume under a loaded
    // CI run: see the closing note of issue 10; /healthz reports it as a stall.)
    await waitForProjection(runlog.base, 120_000);
    const log: RetryLog = { statuses: new Map(), retryAfter: 0 };
    const batches = Array.from({ length: 60 }, (_, b) => b);

    const load = sendBatchesWithRetry([runlog.base], runId, batches, POINTS_PER_BATCH, log);
    // Down while requests are in flight, long enough that kafkajs's own retries (~10 s) give up on some.
    // Nothing else is awaited first: the load ends in a few hundred milliseconds. The projector meets the outage
    // part-way in the SDK test below.
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

  it('lands every SDK point exactly once through a broker restart in the middle of the runs', async () => {
    const runlog = await start({
      RUNLOG_CLICKHOUSE_DATABASE: 'kafka_faults_sdk',
      RUNLOG_KAFKA_NAMESPACE: 'faults-sdk.',
    });
    const errors: Error[] = [];
    const client = new RunlogClient({
      baseUrl: runlog.base,
      flushEveryPoints: 2_000,
      maxQueuedPoints: 20_000,
      retryBaseDelayMs: 50,
      retryMaxDelayMs: 500,
      flushOnExit: false,
      onError: (error) => errors.push(error),
    });
    const RUNS = 4;
    const STEPS = 40_000;
    let logged = 0;
    const runs = Array.from({ length: RUNS }, (_, r) =>
      client.withRun({ experimentName: `sdk-broker-restart-${r}`, captureContext: false }, async (run) => {
        for (let step = 0; step < STEPS; step++) {
          await run.log({ loss: step }, step);
          logged += 1;
          // Pace the loop so the outage falls in the middle of the runs rather than after they were sent.
          if (step % 2_000 === 1_999) await new Promise((resolve) => setTimeout(resolve, 150));
        }
        return run.runId;
      }),
    );
    while (logged < (RUNS * STEPS) / 4 || (await projectedPointsNow(runlog)) === 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const projectedAtOutage = await projectedPointsNow(runlog);
    kafkaStack('down', broker);
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const loggedDuringOutage = logged;
    kafkaStack('up', broker);
    const runIds = await Promise.all(runs);
    await client.close();

    expect(errors).toEqual([]);
    // While the broker was down the loops were held back by the bounded queue (await log()), not dropped.
    expect(loggedDuringOutage).toBeGreaterThan((RUNS * STEPS) / 4);
    expect(loggedDuringOutage).toBeLessThan(RUNS * STEPS);
    // And the projector was part-way through them.
    expect(projectedAtOutage).toBeGreaterThan(0);
    expect(projectedAtOutage).toBeLessThan(RUNS * STEPS);
    await waitForProjection(runlog.base, 180_000);
    for (const runId of runIds) {
      expect(await runSummary(runlog.base, runId)).toEqual({
        status: 'finished',
        metrics: [{ key: 'loss', count: STEPS, min: 0, max: STEPS - 1, last: STEPS - 1 }],
      });
    }
  }, 240_000);
});
