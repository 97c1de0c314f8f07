import { RunlogClient } from '../../libs/sdk/src/runlog';
import { createExperimentAndRun, gql, post, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

/**
 * Distributed training (issue 12) through the real server: the 8 ranks of one job log the same steps of one run at
 * once, each an SDK client whose worker label comes from RANK, in many small batches. Every point lands (none
 * refused, none lost), a series reads back per worker exactly as each sent it, and the MEAN / MIN / MAX views equal
 * a brute-force aggregation over what was sent. A batch without a worker (as every batch before the label was)
 * projects as the default worker's, and a replay of the whole log into an empty store gives the same answers.
 */

const WORKERS = 8;
const STEPS = 600;
const KEYS = ['loss', 'grad_norm'];
const STARTED = 1_760_000_000_000;
/** Every worker NaN here: the aggregate has no finite value to take. */
const ALL_NAN_STEP = 13;

type Value = number | 'NaN' | 'Infinity' | '-Infinity';

/** What rank `rank` logs for `key` at `step`: deterministic, distinct per rank, with non-finite values on some steps. */
function sent(rank: number, key: string, step: number): Value {
  if (step === ALL_NAN_STEP) return 'NaN';
  if (rank === 7 && step % 10 === 0) return 'NaN';
  if (rank === 6 && step % 50 === 0) return 'Infinity';
  const base = key === 'loss' ? 10 / (1 + step / 100) : 1 + Math.sin(step / 7);
  return Math.round((base + ((rank * 37 + step * 11) % 17) / 10) * 1e6) / 1e6;
}

const toNumber = (value: Value | string): number =>
  value === 'NaN' ? NaN : value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : Number(value);

/** The brute-force aggregate at one step: over the workers' finite values, NaN when none is finite. */
function aggregated(view: 'MEAN' | 'MIN' | 'MAX', key: string, step: number): number {
  const finite = Array.from({ length: WORKERS }, (_, rank) => toNumber(sent(rank, key, step))).filter(
    Number.isFinite,
  );
  if (finite.length === 0) return NaN;
  if (view === 'MIN') return Math.min(...finite);
  if (view === 'MAX') return Math.max(...finite);
  return finite.reduce((sum, v) => sum + v, 0) / finite.length;
}

interface Series {
  runId: string;
  key: string;
  worker: string | null;
  totalPoints: number;
  truncated: boolean;
  points: { x: number; step: number | null; value: number | string }[];
  buckets: {
    x: number;
    xEnd: number;
    count: number;
    min: number | string | null;
    max: number | string | null;
  }[];
}

const OVERLAY = `query ($runIds: [ID!]!, $keys: [String!]!, $maxPoints: Int!, $method: DownsampleMethod!,
  $workers: WorkerView!, $range: SeriesRange) {
  metricSeries(runIds: $runIds, keys: $keys, maxPoints: $maxPoints, method: $method, workers: $workers, range: $range) {
    workers series { runId key worker totalPoints truncated points { x step value } buckets { x xEnd count min max } } } }`;

/** Constructs a client the way a rank's process does: RANK in its environment, no explicit label. */
function rankClient(base: string, rank: number, statuses: number[]): RunlogClient {
  const previous = process.env.RANK;
  process.env.RANK = String(rank);
  try {
    return new RunlogClient({
      baseUrl: base,
      flushEveryPoints: 40,
      flushIntervalMs: 5,
      flushOnExit: false,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        statuses.push(response.status);
        return response;
      },
    });
  } finally {
    if (previous === undefined) delete process.env.RANK;
    else process.env.RANK = previous;
  }
}

describe('distributed training: 8 workers logging into one run', () => {
  const runlog = useRunlog({ RUNLOG_INGEST_MAX_PROJECTION_LAG: '0' });
  let runId = '';
  const statuses: number[] = [];

  const overlay = async (variables: Record<string, unknown>): Promise<Series[]> =>
    (
      await gql<{ metricSeries: { workers: string; series: Series[] } }>(runlog.base, OVERLAY, {
        runIds: [runId],
        keys: KEYS,
        maxPoints: STEPS,
        method: 'RAW',
        ...variables,
      })
    ).metricSeries.series;

  const runSummary = async () =>
    (
      await gql<{ run: { workers: string[]; metrics: { key: string; count: number }[] } }>(
        runlog.base,
        `query ($id: ID!) { run(id: $id) { workers metrics { key count } } }`,
        { id: runId },
      )
    ).run;

  beforeAll(async () => {
    ({ runId } = await createExperimentAndRun(runlog.base, 'distributed'));
    const clients = Array.from({ length: WORKERS }, (_, rank) => rankClient(runlog.base, rank, statuses));
    expect(clients.map((client) => client.worker)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    // Every rank logs the same steps at the same time; each log() of 2 points, cut into batches of 40 points.
    await Promise.all(
      clients.map(async (client, rank) => {
        const run = client.attachRun(runId);
        for (let step = 0; step < STEPS; step++) {
          const values = Object.fromEntries(KEYS.map((key) => [key, toNumber(sent(rank, key, step))]));
          await run.log(values, step, STARTED + step * 1000 + rank);
          if (step % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      }),
    );
    await Promise.all(clients.map((client) => client.close()));
    await waitForProjection(runlog.base);
  });

  it('lands every point of every worker: no batch refused (409) or failed (5xx), counts add up', async () => {
    const metricBatches = statuses.length;
    expect(metricBatches).toBeGreaterThanOrEqual((WORKERS * STEPS * KEYS.length) / 40);
    expect(statuses.filter((status) => status === 409 || status >= 500)).toEqual([]);
    const run = await runSummary();
    expect(run.workers).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(run.metrics.map(({ key, count }) => [key, count]).sort()).toEqual(
      KEYS.map((key) => [key, WORKERS * STEPS]).sort(),
    );
  });

  it('EACH: one series per worker, in label order, holding exactly what that worker sent', async () => {
    const series = await overlay({ workers: 'EACH' });
    expect(series.map((s) => [s.key, s.worker])).toEqual(
      KEYS.flatMap((key) => Array.from({ length: WORKERS }, (_, rank) => [key, String(rank)])),
    );
    for (const s of series) {
      const rank = Number(s.worker);
      expect(s.truncated).toBe(false);
      expect(s.points.map((p) => [p.step, String(p.value)])).toEqual(
        Array.from({ length: STEPS }, (_, step) => [step, String(sent(rank, s.key, step))]),
      );
    }
  });

  it.each(['MEAN', 'MIN', 'MAX'] as const)(
    '%s: one point per step, the brute-force aggregate over the workers’ finite values (NaN where none is)',
    async (view) => {
      const series = await overlay({ workers: view });
      expect(series.map((s) => [s.key, s.worker])).toEqual(KEYS.map((key) => [key, null]));
      for (const s of series) {
        expect(s.points.map((p) => p.step)).toEqual(Array.from({ length: STEPS }, (_, step) => step));
        for (const point of s.points) {
          const expected = aggregated(view, s.key, point.step as number);
          if (Number.isNaN(expected)) expect(point.value).toBe('NaN');
          else if (view === 'MEAN') expect(point.value as number).toBeCloseTo(expected, 9);
          else expect(point.value).toBe(expected);
        }
      }
    },
  );

  it('MEAN downsampled: MINMAX buckets of the aggregated series, LTTB samples of it, within maxPoints', async () => {
    const [minmax] = await overlay({ workers: 'MEAN', method: 'MINMAX', maxPoints: 40, keys: ['loss'] });
    expect(minmax.totalPoints).toBe(STEPS);
    expect(minmax.buckets.length).toBeLessThanOrEqual(20);
    expect(minmax.points.length).toBeLessThanOrEqual(40);
    expect(minmax.buckets.reduce((sum, b) => sum + b.count, 0)).toBe(STEPS);
    for (const bucket of minmax.buckets) {
      const steps = Array.from({ length: bucket.xEnd - bucket.x + 1 }, (_, i) => bucket.x + i).filter(
        (step) => step < STEPS,
      );
      const finite = steps.map((step) => aggregated('MEAN', 'loss', step)).filter(Number.isFinite);
      expect(bucket.count).toBe(steps.length);
      expect(bucket.min as number).toBeCloseTo(Math.min(...finite), 9);
      expect(bucket.max as number).toBeCloseTo(Math.max(...finite), 9);
    }
    const [lttb] = await overlay({ workers: 'MAX', method: 'LTTB', maxPoints: 50, keys: ['grad_norm'] });
    expect(lttb.points.length).toBeLessThanOrEqual(50);
    for (const point of lttb.points) expect(point.value).toBe(aggregated('MAX', 'grad_norm', point.x));
  });

  it('ALL is every point whichever worker logged it, as before workers existed', async () => {
    const [raw] = await overlay({ workers: 'ALL', keys: ['loss'], range: { from: 100, to: 149 } });
    const expected = Array.from({ length: 50 }, (_, i) => 100 + i).flatMap((step) =>
      Array.from({ length: WORKERS }, (_, rank) => `${step}:${String(sent(rank, 'loss', step))}`),
    );
    expect(raw.worker).toBeNull();
    expect(raw.points.map((p) => `${p.step}:${String(p.value)}`).sort()).toEqual(expected.sort());
    const [minmax] = await overlay({ workers: 'ALL', method: 'MINMAX', maxPoints: 40, keys: ['loss'] });
    expect(minmax.totalPoints).toBe(WORKERS * STEPS);
    expect(minmax.buckets.reduce((sum, b) => sum + b.count, 0)).toBe(WORKERS * STEPS);
  });

  it('refuses a bad worker label with 400 naming worker, appending nothing', async () => {
    for (const worker of ['', 'x'.repeat(65), 'rank 3', "0' OR '1'='1"]) {
      const answer = await post(runlog.base, `/api/v1/runs/${runId}/metrics`, {
        worker,
        metrics: [{ key: 'loss', steps: [STEPS], values: [1] }],
      });
      expect([answer.status, JSON.stringify(answer.body)]).toEqual([400, expect.stringContaining('worker')]);
    }
    await waitForProjection(runlog.base);
    expect((await runSummary()).metrics.find((m) => m.key === 'loss')?.count).toBe(WORKERS * STEPS);
  });

  it('projects a batch without a worker (as every batch was before) as the default worker, also on replay', async () => {
    const unlabelled = await post(runlog.base, `/api/v1/runs/${runId}/metrics`, {
      metrics: [{ key: 'loss', steps: [0, 1], values: [100, 200] }],
    });
    expect(unlabelled.status).toBe(200);
    await waitForProjection(runlog.base);
    const before = { run: await runSummary(), each: await overlay({ workers: 'EACH', keys: ['loss'] }) };
    expect(before.run.workers).toEqual(['', '0', '1', '2', '3', '4', '5', '6', '7']);
    expect(before.each[0]).toMatchObject({ worker: '', totalPoints: 2 });
    expect(before.each[0].points.map((p) => [p.step, p.value])).toEqual([
      [0, 100],
      [1, 200],
    ]);
    const mean = await overlay({ workers: 'MEAN', keys: ['loss'], range: { from: 1, to: 1 } });
    const withDefault = [
      200,
      ...Array.from({ length: WORKERS }, (_, rank) => toNumber(sent(rank, 'loss', 1))),
    ];
    const finite = withDefault.filter(Number.isFinite);
    expect(mean[0].points[0].value as number).toBeCloseTo(
      finite.reduce((a, b) => a + b, 0) / finite.length,
      9,
    );

    // An empty store replays the whole log, labelled and unlabelled batches alike, into the same answers.
    await runlog.restart({
      RUNLOG_INGEST_MAX_PROJECTION_LAG: '0',
      RUNLOG_CLICKHOUSE_DATABASE: `replayed_${Date.now()}_${process.pid}`,
    });
    await waitForProjection(runlog.base, 120_000);
    expect(await runSummary()).toEqual(before.run);
    expect(await overlay({ workers: 'EACH', keys: ['loss'] })).toEqual(before.each);
  });
});
