import { gql, post, waitForProjection, createExperimentAndRun } from '../support/runlog-client';
import { countingBatch, countingSummary, projectedPoints, runSummary } from '../support/counting-batches';
import { inspectKillWindow, landedPastCommit } from '../support/kill-window';
import { makeDataDir, removeDataDir, startRunlog, type RunlogProcess } from '../support/runlog-process';

const BATCHES = 24;
const POINTS_PER_BATCH = 1_000;
const batch = (b: number) => countingBatch(b, POINTS_PER_BATCH);
const summaries = async (base: string, runId: string) => (await runSummary(base, runId))?.metrics;

async function seriesTotal(base: string, runId: string): Promise<number> {
  const data = await gql<{ metricSeries: { totalPoints: number } }>(
    base,
    'query ($id: ID!) { metricSeries: runMetricSeries(runId: $id, key: "loss", maxPoints: 100) { totalPoints } }',
    { id: runId },
  );
  return data.metricSeries.totalPoints;
}

const expected = countingSummary(BATCHES, POINTS_PER_BATCH);
// Many small batches, one per projector batch: the catch-up takes long enough for a poll to stop it mid-way.
const RANDOM_BATCHES = 120;
const RANDOM_POINTS_PER_BATCH = 200;

describe('a projector restarted mid-stream neither loses nor doubles a point', () => {
  const dirs: string[] = [];
  const processes: RunlogProcess[] = [];

  async function start(dataDir: string, env: Record<string, string> = {}) {
    const started = await startRunlog(dataDir, env);
    processes.push(started);
    return started;
  }

  afterAll(async () => {
    for (const started of processes) await started.kill();
    dirs.forEach(removeDataDir);
  });

  it('when it dies between the ClickHouse insert and the offset commit', async () => {
    const dataDir = makeDataDir();
    dirs.push(dataDir);
    // Phase 1: ingest only, so the whole backlog waits in the log.
    const ingest = await start(dataDir, { RUNLOG_ROLES: 'ingest' });
    const { runId } = await createExperimentAndRun(ingest.base, 'crash-after-insert');
    for (let b = 0; b < BATCHES; b++) {
      expect((await post(ingest.base, `/api/v1/runs/${runId}/metrics`, batch(b))).status).toBe(200);
    }
    await ingest.stop();

    // Phase 2: the projector inserts its third batch of points, then the process SIGKILLs itself before
    // committing. Only metric batches count toward the kill, so it cannot land on a lifecycle batch instead.
    const crashing = await start(dataDir, {
      RUNLOG_PROJECTOR_BATCH_RECORDS: '2',
      RUNLOG_FAULT_PROJECTOR_CRASH_AFTER_BATCHES: '3',
      RUNLOG_FAULT_PROJECTOR_CRASH_TOPIC: 'runlog.metrics',
    });
    if (crashing.child.exitCode === null && crashing.child.signalCode === null) {
      await new Promise<void>((resolve) => crashing.child.once('exit', () => resolve()));
    }
    expect(crashing.child.signalCode).toBe('SIGKILL');
    // It died in the window it names: points the table holds lie past the group's committed position, so the
    // restart must skip them or count them twice. Three groups of one or two records each had landed.
    const window = await inspectKillWindow(crashing, runId);
    expect(landedPastCommit(window)).toBe(true);
    expect(window.projectedPoints).toBeGreaterThanOrEqual(3 * POINTS_PER_BATCH);
    expect(window.projectedPoints).toBeLessThanOrEqual(3 * 2 * POINTS_PER_BATCH);

    // Phase 3: a clean restart catches up from the committed position.
    const restarted = await start(dataDir, { RUNLOG_PROJECTOR_BATCH_RECORDS: '2' });
    await waitForProjection(restarted.base);
    expect(await summaries(restarted.base, runId)).toEqual(expected);
    expect(await seriesTotal(restarted.base, runId)).toBe(BATCHES * POINTS_PER_BATCH);
  });

  it('when it is SIGKILLed at a random point while catching up', async () => {
    const dataDir = makeDataDir();
    dirs.push(dataDir);
    // The backlog is built on purpose, all batches at once: no load shedding (its own spec covers it).
    const first = await start(dataDir, {
      RUNLOG_PROJECTOR_BATCH_RECORDS: '1',
      RUNLOG_INGEST_MAX_CONCURRENT_BATCHES: String(RANDOM_BATCHES),
      RUNLOG_INGEST_MAX_PROJECTION_LAG: '0',
    });
    const { runId } = await createExperimentAndRun(first.base, 'random-kill');
    const total = RANDOM_BATCHES * RANDOM_POINTS_PER_BATCH;
    // A random point of the catch-up, not of the clock: the kill waits until that many points are visible.
    const killAt = Math.floor(total * (0.1 + 0.4 * Math.random()));
    const acks = await Promise.all(
      Array.from({ length: RANDOM_BATCHES }, (_, b) =>
        post(first.base, `/api/v1/runs/${runId}/metrics`, countingBatch(b, RANDOM_POINTS_PER_BATCH)),
      ),
    );
    expect(acks.every((ack) => ack.status === 200)).toBe(true);
    while ((await projectedPoints(first.base, runId)) < killAt) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await first.kill();
    // It died while catching up: some points, not all, had reached the table.
    const window = await inspectKillWindow(first, runId);
    expect(window.projectedPoints).toBeGreaterThanOrEqual(killAt);
    expect(window.projectedPoints).toBeLessThan(total);

    const second = await start(dataDir);
    await waitForProjection(second.base);
    expect(await summaries(second.base, runId)).toEqual(
      countingSummary(RANDOM_BATCHES, RANDOM_POINTS_PER_BATCH),
    );
    expect(await seriesTotal(second.base, runId)).toBe(total);
  });

  it('keeps data across a clean restart', async () => {
    const dataDir = makeDataDir();
    dirs.push(dataDir);
    const first = await start(dataDir);
    const { runId } = await createExperimentAndRun(first.base, 'restart');
    await post(first.base, `/api/v1/runs/${runId}/metrics`, batch(0));
    await waitForProjection(first.base);
    await first.stop();
    const second = await start(dataDir);
    expect(await seriesTotal(second.base, runId)).toBe(POINTS_PER_BATCH);
    // And the restarted server still ingests into the same run.
    expect((await post(second.base, `/api/v1/runs/${runId}/metrics`, batch(1))).status).toBe(200);
    await waitForProjection(second.base);
    expect(await seriesTotal(second.base, runId)).toBe(2 * POINTS_PER_BATCH);
  });
});
