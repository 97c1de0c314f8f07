import { createExperimentAndRun, gql, logEnd, post, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

/**
 * metricSeries overlays through the real GraphQL surface: points logged over HTTP by several runs come back on one
 * grid per axis and method, and what the limits refuse is refused before anything runs, naming the argument.
 */

interface Bucket {
  x: number;
  xEnd: number;
  count: number;
  min: number | null;
  max: number | null;
  avg: number | null;
  last: number | string;
}

interface Series {
  runId: string;
  key: string;
  totalPoints: number;
  downsampled: boolean;
  truncated: boolean;
  bucketWidth: number | null;
  points: { x: number; step: number | null; value: number | string; timestamp: number | null }[];
  buckets: Bucket[];
}

const OVERLAY = `query ($runIds: [ID!]!, $keys: [String!]!, $maxPoints: Int!, $xAxis: SeriesXAxis!,
  $method: DownsampleMethod!, $range: SeriesRange) {
  metricSeries(runIds: $runIds, keys: $keys, maxPoints: $maxPoints, xAxis: $xAxis, method: $method, range: $range) {
    xAxis method from to rowsRead
    series { runId key totalPoints downsampled truncated bucketWidth
      points { x step value timestamp } buckets { x xEnd count min max avg last } } } }`;

async function graphqlErrors(base: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as {
    errors?: { message: string; extensions: Record<string, unknown> }[];
  };
  return { status: response.status, errors: body.errors ?? [] };
}

describe('metricSeries over GraphQL: an overlay of runs in one request', () => {
  const runlog = useRunlog({ RUNLOG_INGEST_MAX_PROJECTION_LAG: '0' });
  const runs: string[] = [];
  const started = 1_760_000_000_000;

  beforeAll(async () => {
    for (let r = 0; r < 3; r++) {
      const { runId } = await createExperimentAndRun(runlog.base, `overlay-${r}`);
      runs.push(runId);
      const steps = Array.from({ length: 400 }, (_, i) => i * (r + 1));
      const response = await post(runlog.base, `/api/v1/runs/${runId}/metrics`, {
        metrics: [
          {
            key: 'loss',
            steps,
            values: steps.map((step) => (step === 120 ? 'NaN' : 10 - step / 100 + r)),
            timestamps: steps.map((_, i) => started + r * 3_600_000 + i * 1000),
          },
          ...(r < 2 ? [{ key: 'acc', steps: [0, 10, 20], values: [0.1, 0.2, 0.3 + r] }] : []),
        ],
      });
      expect(response.status).toBe(200);
    }
    await waitForProjection(runlog.base);
  });

  const overlay = async (variables: Record<string, unknown>) =>
    (
      await gql<{ metricSeries: { from: number; to: number; series: Series[] } }>(runlog.base, OVERLAY, {
        keys: ['loss', 'acc'],
        maxPoints: 20,
        xAxis: 'STEP',
        method: 'MINMAX',
        runIds: runs,
        ...variables,
      })
    ).metricSeries;

  it('answers every run × key in the order asked, on one grid, with each bucket summarising its points', async () => {
    const answer = await overlay({});
    expect(answer.series.map((s) => [s.runId, s.key])).toEqual(
      runs.flatMap((id) => [
        [id, 'loss'],
        [id, 'acc'],
      ]),
    );
    const loss = answer.series.filter((s) => s.key === 'loss');
    expect(loss.map((s) => s.totalPoints)).toEqual([400, 400, 400]);
    expect(new Set(loss.map((s) => s.bucketWidth)).size).toBe(1);
    // The grid spans every run: the longest run's last step is 399 × 3.
    expect([answer.from, answer.to]).toEqual([0, 1197]);
    for (const [r, series] of loss.entries()) {
      expect(series.downsampled).toBe(true);
      expect(series.buckets.length).toBeLessThanOrEqual(10);
      expect(series.buckets.reduce((sum, b) => sum + b.count, 0)).toBe(400);
      const first = series.buckets[0];
      // Values fall with the step: a bucket's max is its first value, its last its last.
      expect(first.max).toBe(10 + r);
      expect(first.x).toBe(0);
    }
    // The run without acc has an empty series where acc would be; the short acc series come back whole.
    expect(answer.series[5]).toMatchObject({ key: 'acc', totalPoints: 0, points: [], buckets: [] });
    expect(answer.series[1].downsampled).toBe(false);
    expect(answer.series[1].points.map((p) => [p.step, p.value])).toEqual([
      [0, 0.1],
      [10, 0.2],
      [20, 0.3],
    ]);
  });

  it('sends buckets and points as columns too, the same with or without points selected', async () => {
    const COLUMNS = `query ($runIds: [ID!]!) { metricSeries(runIds: $runIds, keys: ["loss"], maxPoints: 20) {
      series { buckets { x xEnd count min max avg last } bucketColumns { x xEnd count min max avg last }
        pointColumns { x step value timestamp } points { x step value timestamp } } } }`;
    const BUCKETS_ONLY = `query ($runIds: [ID!]!) { metricSeries(runIds: $runIds, keys: ["loss"], maxPoints: 20) {
      series { bucketColumns { x xEnd count min max avg last } } } }`;
    type Columns = Record<string, (number | string | null)[]>;
    const full = await gql<{
      metricSeries: { series: (Series & { bucketColumns: Columns; pointColumns: Columns })[] };
    }>(runlog.base, COLUMNS, { runIds: runs });
    const lean = await gql<{ metricSeries: { series: { bucketColumns: Columns }[] } }>(
      runlog.base,
      BUCKETS_ONLY,
      { runIds: runs },
    );
    full.metricSeries.series.forEach((series, i) => {
      for (const field of ['x', 'xEnd', 'count', 'min', 'max', 'avg', 'last'] as const) {
        expect(series.bucketColumns[field]).toEqual(series.buckets.map((bucket) => bucket[field]));
      }
      for (const field of ['x', 'step', 'value', 'timestamp'] as const) {
        expect(series.pointColumns[field]).toEqual(series.points.map((point) => point[field]));
      }
      expect(lean.metricSeries.series[i].bucketColumns).toEqual(series.bucketColumns);
    });
    // The NaN logged at step 120 of the first run is in a bucket's last or excluded from its min: as logged.
    expect(full.metricSeries.series[0].pointColumns.value.length).toBeGreaterThan(0);
  });

  it('draws runs from their own start on RELATIVE_TIME and from the clock on WALL_TIME', async () => {
    const relative = await overlay({
      xAxis: 'RELATIVE_TIME',
      keys: ['loss'],
      maxPoints: 1000,
      method: 'RAW',
    });
    for (const series of relative.series) {
      expect(series.points[0].x).toBe(0);
      expect(series.points[399].x).toBe(399_000);
    }
    const wall = await overlay({ xAxis: 'WALL_TIME', keys: ['loss'], maxPoints: 1000, method: 'RAW' });
    expect(wall.series.map((s) => s.points[0].x)).toEqual([0, 1, 2].map((r) => started + r * 3_600_000));
    // A zoom on the clock keeps the second run's first hour only.
    const zoomed = await overlay({
      xAxis: 'WALL_TIME',
      keys: ['loss'],
      method: 'MINMAX',
      range: { from: started + 3_600_000, to: started + 3_600_000 + 99_000 },
    });
    expect(zoomed.series.map((s) => s.totalPoints)).toEqual([0, 100, 0]);
  });

  it('keeps the NaN a run logged, and samples with LTTB without it', async () => {
    const raw = await overlay({ keys: ['loss'], maxPoints: 1000, method: 'RAW', runIds: [runs[0]] });
    expect(raw.series[0].points.find((p) => p.step === 120)?.value).toBe('NaN');
    const lttb = await overlay({ keys: ['loss'], maxPoints: 50, method: 'LTTB', runIds: [runs[0]] });
    expect(lttb.series[0].points).toHaveLength(50);
    expect(lttb.series[0].points.every((p) => typeof p.value === 'number')).toBe(true);
  });

  it.each([
    [{ maxPoints: 1 }, 'maxPoints'],
    [{ runIds: [] }, 'runIds'],
    [{ keys: [] }, 'keys'],
    [{ range: { from: 10, to: 5 } }, 'range.from'],
    [{ range: { from: 0.5 } }, 'range.from'],
  ])('refuses %j naming %s, and appends nothing', async (change, field) => {
    const before = await logEnd(runlog.base);
    const { errors } = await graphqlErrors(runlog.base, OVERLAY, {
      runIds: runs,
      keys: ['loss'],
      maxPoints: 20,
      xAxis: 'STEP',
      method: 'MINMAX',
      ...change,
    });
    expect(errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await logEnd(runlog.base)).toBe(before);
  });

  it('refuses an overlay whose points would cost too much before it runs', async () => {
    const { status, errors } = await graphqlErrors(runlog.base, OVERLAY, {
      runIds: Array.from({ length: 100 }, (_, i) => `run-${i}`),
      keys: ['a', 'b', 'c'],
      maxPoints: 10_000,
      xAxis: 'STEP',
      method: 'MINMAX',
    });
    expect(status).toBe(400);
    expect(errors[0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost' });
  });
});
