import { countingBatch, countingSummary, projectedPoints, runSummary } from '../support/counting-batches';
import { inspectKillWindow } from '../support/kill-window';
import { createExperimentAndRun, post, waitForProjection } from '../support/runlog-client';
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

  async function start(roles: string, dataDir = makeDataDir(), env: Record<string, string> = {}) {
    if (!dirs.includes(dataDir)) dirs.push(dataDir);
    const started = await startRunlog(dataDir, { ...kafka, RUNLOG_ROLES: roles, ...env });
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
    // One record per projector batch: the points become visible batch by batch, not in one catch-up insert.
    let reader = await start('projector,gateway', makeDataDir(), { RUNLOG_PROJECTOR_BATCH_RECORDS: '1' });

    const { runId } = await createExperimentAndRun(ingest.base, 'kafka');
    expect(await post(ingest.base, `/api/v1/runs/${runId}/params`, { params: { lr: 0.1 } })).toMatchObject({
      status: 200,
    });
    for (let b = 0; b < 4; b++) {
      expect((await post(ingest.base, `/api/v1/runs/${runId}/metrics`, batch(b))).status).toBe(200);
    }
    await waitForProjection(reader.base);
    expect(await runSummary(reader.base, runId)).toEqual({ status: 'running', metrics: expected(4) });

    // More batches, and the projector dies without warning while it follows them: at a random point of the
    // stream, once that many points are visible. The ingest process lives on and acknowledges the rest.
    const total = 20 * POINTS_PER_BATCH;
    const killAt = Math.floor(
      4 * POINTS_PER_BATCH + (total - 4 * POINTS_PER_BATCH) * (0.1 + 0.4 * Math.random()),
    );
    const sending = (async () => {
      // One at a time, so the projector cannot reach the end before the poll below sees it pass killAt.
      const statuses: number[] = [];
      for (let b = 4; b < 20; b++)
        statuses.push((await post(ingest.base, `/api/v1/runs/${runId}/metrics`, batch(b))).status);
      return statuses;
    })();
    while ((await projectedPoints(reader.base, runId)) < killAt) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await reader.kill();
    expect(await sending).toEqual(Array.from({ length: 16 }, () => 200));
    // It died mid-way: more than the first four batches, not all twenty, had reached its store.
    const window = await inspectKillWindow(reader, runId);
    expect(window.projectedPoints).toBeGreaterThanOrEqual(killAt);
    expect(window.projectedPoints).toBeLessThan(total);

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
