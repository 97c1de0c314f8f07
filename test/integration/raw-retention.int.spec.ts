import fc from 'fast-check';
import { streams } from '../../libs/events/src/run.events';
import { createExperimentAndRun, gql, logEnd, post, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';
import { openServerLog } from '../support/server-log';

/**
 * Retention of raw metric points (issue 11), through the real HTTP and GraphQL surfaces: the age limit is an event
 * in the log; once projected, points older than it leave metric_points by ClickHouse's TTL while the rollups
 * stay, and a series read that reaches into dropped raw points says so and draws from the finest rollup.
 */
const DAY_MS = 86_400_000;
const KEY = 'train/loss';
const OLD_STEPS = 2_000;
const RECENT_STEPS = 2_000;

interface Point {
  step: number;
  value: number;
  timestamp: number;
}
interface Series {
  points: Point[];
  totalPoints: number;
  downsampled: boolean;
  resolution: number;
  rawPointsExpired: boolean;
}

const SERIES = `query ($runId: ID!, $key: String!, $fromStep: Float, $toStep: Float, $maxPoints: Int!) {
  metricSeries: runMetricSeries(runId: $runId, key: $key, fromStep: $fromStep, toStep: $toStep, maxPoints: $maxPoints) {
    points { step value timestamp } totalPoints downsampled resolution rawPointsExpired } }`;

const series = async (base: string, runId: string, range: { fromStep?: number; toStep?: number }) =>
  (await gql<{ metricSeries: Series }>(base, SERIES, { runId, key: KEY, maxPoints: 1000, ...range }))
    .metricSeries;

/** Seeded values with a spike every 37 steps, so bucket extremes are not the bucket's ends. */
const valueAt = (step: number) => (step % 37 === 0 ? 100 + step : Math.sin(step) * 10);

async function logPoints(base: string, runId: string, from: number, count: number, timestamp: number) {
  const steps = Array.from({ length: count }, (_, i) => from + i);
  const response = await post(base, `/api/v1/runs/${runId}/metrics`, {
    metrics: [{ key: KEY, steps, values: steps.map(valueAt), timestamps: steps.map(() => timestamp) }],
  });
  expect(response.status).toBe(200);
}

/** Brute force over what was logged: each 10-step bucket's minimum and maximum, in step order. */
function bucketExtremes(from: number, to: number, timestamp: number): Point[] {
  const points: Point[] = [];
  for (let start = from; start <= to; start += 10) {
    const steps = Array.from({ length: 10 }, (_, i) => start + i);
    const low = steps.reduce((a, b) => (valueAt(b) < valueAt(a) ? b : a));
    const high = steps.reduce((a, b) => (valueAt(b) > valueAt(a) ? b : a));
    const pair = [low, high].sort((a, b) => a - b);
    for (const step of low === high ? [low] : pair) points.push({ step, value: valueAt(step), timestamp });
  }
  return points;
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still not there: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('raw-point retention', () => {
  const server = useRunlog({ RUNLOG_RETENTION_CHECK_MS: '200' });

  it('drops raw points past the age while rollups keep drawing them, and says so', async () => {
    const now = Date.now();
    const oldTime = now - 30 * DAY_MS;
    const limited = await createExperimentAndRun(server.base, 'limited');
    const kept = await createExperimentAndRun(server.base, 'kept');
    for (const { runId } of [limited, kept]) {
      await logPoints(server.base, runId, 0, OLD_STEPS, oldTime);
      await logPoints(server.base, runId, OLD_STEPS, RECENT_STEPS, now);
    }
    await waitForProjection(server.base);
    const before = await series(server.base, limited.runId, { fromStep: 0, toStep: 99 });
    expect(before).toMatchObject({ resolution: 1, rawPointsExpired: false, totalPoints: 100 });

    const recorded = async () => {
      const log = await openServerLog(server.dataDir);
      try {
        const { events } = await log.readStream(streams.experiment(limited.experimentId));
        return events
          .filter((event) => event.type === 'experiment.retention_set')
          .map((event) => event.payload);
      } finally {
        await log.close();
      }
    };
    const set = await post(server.base, `/api/v1/experiments/${limited.experimentId}/retention`, {
      rawPointsMaxAgeDays: 7,
    });
    expect(set.status).toBe(200);
    expect(await recorded()).toEqual([{ rawPointsMaxAgeDays: 7 }]);
    await waitForProjection(server.base);
    const experiment = await gql<{ experiment: { rawPointsMaxAgeDays: number | null } }>(
      server.base,
      `query ($id: ID!) { experiment(id: $id) { rawPointsMaxAgeDays } }`,
      { id: limited.experimentId },
    );
    expect(experiment.experiment.rawPointsMaxAgeDays).toBe(7);

    // Zoomed into the old steps: raw points are gone, the 10-step rollup draws every bucket's true extremes.
    const zoomed = await eventually(
      () => series(server.base, limited.runId, { fromStep: 0, toStep: 99 }),
      (answer) => answer.rawPointsExpired,
    );
    expect(zoomed.resolution).toBe(10);
    expect(zoomed.downsampled).toBe(true);
    expect(zoomed.points).toEqual(bucketExtremes(0, 99, oldTime));

    // Recent points of the same run, and the old points of an experiment without a limit, are still raw.
    const recent = await series(server.base, limited.runId, { fromStep: OLD_STEPS, toStep: OLD_STEPS + 99 });
    expect(recent).toMatchObject({ resolution: 1, rawPointsExpired: false, totalPoints: 100 });
    expect(recent.points.map((point) => point.value)).toEqual(
      Array.from({ length: 100 }, (_, i) => valueAt(OLD_STEPS + i)),
    );
    const untouched = await series(server.base, kept.runId, { fromStep: 0, toStep: 99 });
    expect(untouched).toMatchObject({ resolution: 1, rawPointsExpired: false, totalPoints: 100 });

    // The whole series still counts and draws every point the run logged, from the rollups.
    const whole = await series(server.base, limited.runId, {});
    expect(whole.totalPoints).toBe(OLD_STEPS + RECENT_STEPS);
    expect(Math.max(...whole.points.map((point) => point.value))).toBe(
      Math.max(...Array.from({ length: OLD_STEPS + RECENT_STEPS }, (_, step) => valueAt(step))),
    );

    // The same age again changes nothing, so nothing is appended.
    const again = await post(server.base, `/api/v1/experiments/${limited.experimentId}/retention`, {
      rawPointsMaxAgeDays: 7,
    });
    expect(again.status).toBe(200);
    expect(await recorded()).toEqual([{ rawPointsMaxAgeDays: 7 }]);
  });

  it('takes whole days from 1 to 36,500 or null; anything else is a 400 naming the field, with nothing appended', async () => {
    const { experimentId } = await createExperimentAndRun(server.base, 'bounds');
    const path = `/api/v1/experiments/${experimentId}/retention`;
    const beyond = fc.oneof(
      fc.integer({ min: -1_000_000, max: 0 }),
      fc.integer({ min: 36_501, max: 10_000_000 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((days) => !Number.isInteger(days)),
      fc.string(),
      fc.boolean(),
      fc.constant([7]),
    );
    await fc.assert(
      fc.asyncProperty(beyond, async (days) => {
        const end = await logEnd(server.base);
        const response = await post<{ field?: string }>(server.base, path, { rawPointsMaxAgeDays: days });
        expect(response.status).toBe(400);
        expect(response.body.field).toBe('rawPointsMaxAgeDays');
        expect(await logEnd(server.base)).toBe(end);
      }),
      { numRuns: 40 },
    );
    const missing = await post<{ field?: string }>(server.base, path, {});
    expect(missing.status).toBe(400);
    expect(missing.body.field).toBe('rawPointsMaxAgeDays');
    for (const days of [1, 36_500, null]) {
      expect((await post(server.base, path, { rawPointsMaxAgeDays: days })).status).toBe(200);
    }
    const unknown = await post<{ field?: string }>(server.base, '/api/v1/experiments/nope/retention', {
      rawPointsMaxAgeDays: 3,
    });
    expect(unknown.status).toBe(404);
  });
});
