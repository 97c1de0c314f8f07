import { countingBatch, countingSummary, runSummary } from '../support/counting-batches';
import { createExperimentAndRun, post, projectionLag, waitForProjection } from '../support/runlog-client';
import { makeDataDir, removeDataDir, startRunlog, type RunlogProcess } from '../support/runlog-process';

const POINTS_PER_BATCH = 5_000;
const batch = (b: number) => countingBatch(b, POINTS_PER_BATCH);
const expected = (batches: number) => countingSummary(batches, POINTS_PER_BATCH);

/**
 * The distributed shape on a real Kafka broker (started by the integration global setup): ingest in one process,
 * projector and gateway in another, the log between them.
 */
describe('ingest and projector as separate processes on Kafka', () => {
  // A namespace of its own: the suites share the broker.
  const kafka = {
    RUNLOG_KAFKA_BROKERS: process.env.RUNLOG_KAFKA_BROKERS ?? '',
    RUNLOG_KAFKA_NAMESPACE: `two-${Date.now()}.`,
  };
  const dirs: string[] = [];
  const processes: RunlogProcess[] = [];

  async function start(roles: string, dataDir = makeDataDir()) {
    if (!dirs.includes(dataDir)) dirs.push(dataDir);
    const started = await startRunlog(dataDir, { ...kafka, RUNLOG_ROLES: roles });
    processes.push(started);
    return started;
  }

  afterAll(async () => {
    for (const started of processes) await started.kill();
    dirs.forEach(removeDataDir);
  });

  it('projects what the ingest process appended, exactly, through a projector SIGKILL and restart', async () => {
    expect(kafka.RUNLOG_KAFKA_BROKERS).not.toBe('');
    const ingest = await start('ingest');
    let reader = await start('projector,gateway');

    const { runId } = await createExperimentAndRun(ingest.base, 'kafka');
    expect(await post(ingest.base, `/api/v1/runs/${runId}/params`, { params: { lr: 0.1 } })).toMatchObject({
      status: 200,
    });
    for (let b = 0; b < 4; b++) {
      expect((await post(ingest.base, `/api/v1/runs/${runId}/metrics`, batch(b))).status).toBe(200);
    }
    await waitForProjection(reader.base);
    expect(await runSummary(reader.base, runId)).toEqual({ status: 'running', metrics: expected(4) });

    // More batches, then the projector dies without warning while it catches up.
    const acks = await Promise.all(
      Array.from({ length: 16 }, (_, i) => post(ingest.base, `/api/v1/runs/${runId}/metrics`, batch(4 + i))),
    );
    expect(acks.every((ack) => ack.status === 200)).toBe(true);
    for (;;) {
      const lags = await projectionLag(reader.base);
      if (lags.some((lag) => lag.topic === 'runlog.metrics' && lag.lag > 0 && lag.committedOffset > 0)) break;
      if (lags.every((lag) => lag.lag === 0)) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await reader.kill();

    expect(await post(ingest.base, `/api/v1/runs/${runId}/finish`, {})).toMatchObject({ status: 200 });
    // Same data dir: its chDB holds what was projected before the kill; Kafka holds the group's position.
    reader = await start('projector,gateway', reader.dataDir);
    await waitForProjection(reader.base);
    expect(await runSummary(reader.base, runId)).toEqual({ status: 'finished', metrics: expected(20) });

    // A projector on an empty ClickHouse (a new data dir: a new chDB) rebuilds everything from the log, although
    // the earlier store's group committed the end: its group is named after its own store.
    const rebuilt = await start('projector,gateway');
    await waitForProjection(rebuilt.base);
    expect(await runSummary(rebuilt.base, runId)).toEqual({ status: 'finished', metrics: expected(20) });
  });
});
