import fc from 'fast-check';
import {
  bucketStart,
  getSeriesOverlay,
  readerFor,
  type MetricPoint,
  type OverlayAxis,
  type OverlayBucket,
  type OverlaySeries,
  type SeriesOverlay,
  type SeriesOverlayQuery,
} from '../../libs/store/src';
import { insertPoints, POINT_COLUMNS, seededRandom } from '../support/metric-points';
import { useStore } from '../support/store-fixture';

/**
 * Overlays (many runs × keys on one grid) on the real engines, checked against a brute-force computation over the
 * raw points the test wrote: every bucket's count, min, max, avg and last, on the step axis (raw and rollups) and
 * on both time axes, for random zooms and sizes.
 */

interface Logged {
  runId: string;
  key: string;
  points: MetricPoint[];
}

const RUNS = ['r-a', 'r-b', 'r-c', 'r-d', 'r-e'];
const KEYS = ['loss', 'acc'];

/** Unique increasing steps (a dense stretch, then sparse), values with spikes, NaN and infinities. */
function makeSeries(random: () => number, length: number, firstStep: number): MetricPoint[] {
  const points: MetricPoint[] = [];
  let step = firstStep;
  let timestamp = 1_700_000_000_000 + Math.floor(random() * 1e7);
  for (let i = 0; i < length; i++) {
    step += i < length * 0.7 ? 1 + Math.floor(random() * 2) : 1 + Math.floor(random() * 400);
    timestamp += Math.floor(random() * 50);
    const roll = random();
    const value =
      roll < 0.02
        ? (random() < 0.5 ? -1 : 1) * (1e6 + i)
        : roll < 0.04
          ? NaN
          : roll < 0.05
            ? [Infinity, -Infinity][i % 2]
            : Math.round((random() * 10 - 5) * 1000) / 1000 + 0; // + 0: no -0, which JSON cannot tell from 0
    points.push({ step, value, timestamp });
  }
  return points;
}

function xOf(axis: OverlayAxis, point: MetricPoint, origin: number): number {
  if (axis === 'step') return point.step;
  return axis === 'wall_time' ? point.timestamp : point.timestamp - origin;
}

/** The run's first point among the keys asked: where its relative time starts. */
function originOf(logged: Logged[], runId: string, keys: string[]): number {
  const times = logged
    .filter((series) => series.runId === runId && keys.includes(series.key))
    .flatMap((series) => series.points.map((point) => point.timestamp));
  return Math.min(...times);
}

/** Points of a series in x order as the overlay orders them (x, then step, then time). */
function inXOrder(axis: OverlayAxis, points: MetricPoint[], origin: number) {
  return points
    .map((point) => ({ ...point, x: xOf(axis, point, origin) }))
    .sort((a, b) => a.x - b.x || a.step - b.step || a.timestamp - b.timestamp);
}

/** The buckets a series must have, over the points the answer says it covered. */
function bruteForceBuckets(
  query: SeriesOverlayQuery,
  series: OverlaySeries,
  raw: MetricPoint[],
  origin: number,
  anchor: number,
): OverlayBucket[] {
  const width = series.bucketWidth!;
  const res = series.resolution;
  // A rollup answers for its whole buckets around the zoom; raw points answer for the zoom exactly.
  const lo = query.from === undefined ? -Infinity : res > 1 ? bucketStart(query.from, res) : query.from;
  const hi = query.to === undefined ? Infinity : res > 1 ? bucketStart(query.to, res) + res - 1 : query.to;
  const slots = new Map<number, ReturnType<typeof inXOrder>>();
  for (const point of inXOrder(query.axis, raw, origin)) {
    if (point.x < lo || point.x > hi) continue;
    const slot = Math.floor((point.x - anchor) / width);
    slots.set(slot, [...(slots.get(slot) ?? []), point]);
  }
  return [...slots.entries()]
    .sort(([a], [b]) => a - b)
    .map(([slot, points]) => {
      const finite = points.filter((point) => Number.isFinite(point.value)).map((point) => point.value);
      const last = points[points.length - 1];
      return {
        x: anchor + slot * width,
        xEnd: anchor + slot * width + width - 1,
        count: points.length,
        finiteCount: finite.length,
        min: finite.length ? Math.min(...finite) : null,
        max: finite.length ? Math.max(...finite) : null,
        avg: finite.length ? finite.reduce((sum, value) => sum + value, 0) / finite.length : null,
        last: last.value,
        lastX: last.x,
      };
    });
}

function expectSameBuckets(actual: OverlayBucket[], expected: OverlayBucket[]) {
  expect(actual.map((bucket) => ({ ...bucket, avg: null }))).toEqual(
    expected.map((bucket) => ({ ...bucket, avg: null })),
  );
  actual.forEach((bucket, i) => {
    const want = expected[i].avg;
    if (want === null) expect(bucket.avg).toBeNull();
    else expect(bucket.avg!).toBeCloseTo(want, 6 - Math.max(0, Math.ceil(Math.log10(Math.abs(want) + 1))));
  });
}

describe('metricSeries overlays: many runs and keys on one grid', () => {
  const store = useStore('overlay');
  const logged: Logged[] = [];

  beforeAll(async () => {
    const random = seededRandom(20261203);
    for (const [i, runId] of RUNS.entries()) {
      for (const key of KEYS) {
        // One long series per run (rollups answer it), the rest short; steps start below zero for some.
        const length = key === 'loss' && i < 2 ? 12_000 : 200 + Math.floor(random() * 1500);
        const points = makeSeries(random, length, i % 2 === 0 ? -500 : 0);
        logged.push({ runId, key, points });
        await insertPoints(store.ch, runId, key, points);
      }
    }
  }, 120_000);

  const rawOf = (runId: string, key: string) =>
    logged.find((series) => series.runId === runId && series.key === key)?.points ?? [];

  const overlay = (query: SeriesOverlayQuery): Promise<SeriesOverlay> =>
    getSeriesOverlay(readerFor(store.ch), query);

  const queries = fc.record(
    {
      runIds: fc.subarray([...RUNS, 'r-missing'], { minLength: 1 }),
      keys: fc.subarray([...KEYS, 'nothing'], { minLength: 1 }),
      maxPoints: fc.oneof(fc.integer({ min: 2, max: 20 }), fc.integer({ min: 21, max: 3000 })),
      axis: fc.constantFrom<OverlayAxis>('step', 'wall_time', 'relative_time'),
      zoom: fc.option(
        fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
      ),
    },
    { requiredKeys: ['runIds', 'keys', 'maxPoints', 'axis', 'zoom'] },
  );

  /** A zoom as a fraction of the selection's x extent, turned into whole x bounds. */
  function zoomed(args: {
    runIds: string[];
    keys: string[];
    axis: OverlayAxis;
    zoom: [number, number] | null;
  }): { from?: number; to?: number } {
    if (args.zoom === null) return {};
    const xs = args.runIds.flatMap((runId) => {
      const origin = originOf(logged, runId, args.keys);
      return args.keys.flatMap((key) => rawOf(runId, key).map((point) => xOf(args.axis, point, origin)));
    });
    if (xs.length === 0) return { from: 0, to: 10 };
    const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
    const [a, b] = [...args.zoom].sort();
    return { from: Math.floor(lo + a * (hi - lo)), to: Math.ceil(lo + b * (hi - lo)) };
  }

  it('gives each MINMAX bucket the count, min, max, avg and last of the raw points in it', async () => {
    await fc.assert(
      fc.asyncProperty(queries, async (args) => {
        const query: SeriesOverlayQuery = { ...args, method: 'minmax', ...zoomed(args) };
        const answer = await overlay(query);
        expect(answer.series.map((s) => [s.runId, s.key])).toEqual(
          args.runIds.flatMap((runId) => args.keys.map((key) => [runId, key])),
        );
        const anchor = answer.series.find((s) => s.buckets.length > 0)?.buckets[0].x ?? 0;
        const widths = new Set(answer.series.filter((s) => s.buckets.length).map((s) => s.bucketWidth));
        // One grid for every series, unless raw points had expired (none here).
        expect(widths.size).toBeLessThanOrEqual(1);
        for (const series of answer.series) {
          const raw = rawOf(series.runId, series.key);
          const origin = raw.length ? originOf(logged, series.runId, args.keys) : 0;
          if (series.buckets.length === 0) {
            expect(series.totalPoints).toBe(0);
            continue;
          }
          expect(series.buckets.length).toBeLessThanOrEqual(Math.max(1, Math.floor(query.maxPoints / 2)));
          expectSameBuckets(series.buckets, bruteForceBuckets(query, series, raw, origin, anchor));
          // Points are real logged points: every one when they fit, else the extremes of the buckets.
          const byStep = new Map(raw.map((point) => [point.step, point]));
          for (const point of series.points) {
            const logged = byStep.get(point.step!)!;
            expect({ value: point.value, timestamp: point.timestamp }).toEqual({
              value: logged.value,
              timestamp: logged.timestamp,
            });
          }
          expect(series.points.length).toBeLessThanOrEqual(Math.max(query.maxPoints, 2));
          if (!series.downsampled) expect(series.points.length).toBe(series.totalPoints);
        }
      }),
      { numRuns: 40 },
    );
  }, 600_000);

  it('answers RAW with the first maxPoints points of the range, in x order, and says when there are more', async () => {
    await fc.assert(
      fc.asyncProperty(queries, async (args) => {
        const query: SeriesOverlayQuery = { ...args, method: 'raw', ...zoomed(args) };
        const answer = await overlay(query);
        for (const series of answer.series) {
          const origin = originOf(logged, series.runId, args.keys);
          const inRange = inXOrder(query.axis, rawOf(series.runId, series.key), origin).filter(
            (point) => point.x >= (query.from ?? -Infinity) && point.x <= (query.to ?? Infinity),
          );
          expect(series.points).toEqual(
            inRange
              .slice(0, query.maxPoints)
              .map(({ x, step, value, timestamp }) => ({ x, step, value, timestamp })),
          );
          expect(series.truncated).toBe(inRange.length > query.maxPoints);
        }
      }),
      { numRuns: 25 },
    );
  }, 600_000);

  it("answers LTTB with at most maxPoints of the series' finite points, keeping its first and last", async () => {
    await fc.assert(
      fc.asyncProperty(queries, async (args) => {
        const query: SeriesOverlayQuery = { ...args, method: 'lttb', ...zoomed(args) };
        const answer = await overlay(query);
        for (const series of answer.series) {
          const origin = originOf(logged, series.runId, args.keys);
          const finite = inXOrder(query.axis, rawOf(series.runId, series.key), origin).filter(
            (point) =>
              Number.isFinite(point.value) &&
              point.x >= (query.from ?? -Infinity) &&
              point.x <= (query.to ?? Infinity),
          );
          expect(series.points.length).toBeLessThanOrEqual(query.maxPoints);
          const real = new Set(finite.map((point) => `${point.x}:${point.value}`));
          for (const point of series.points) expect(real.has(`${point.x}:${point.value}`)).toBe(true);
          if (series.resolution === 1 && finite.length > 0) {
            expect(series.points[0].x).toBe(finite[0].x);
            expect(series.points[series.points.length - 1].x).toBe(finite[finite.length - 1].x);
          }
          if (series.resolution === 1 && finite.length <= query.maxPoints) {
            expect(series.points.length).toBe(finite.length);
          }
        }
      }),
      { numRuns: 25 },
    );
  }, 600_000);

  it('reads rows that follow maxPoints, not the points logged, for a 100-run overlay', async () => {
    const runIds = Array.from({ length: 100 }, (_, i) => `wide-${i}`);
    await store.ch.client.command({
      query: `INSERT INTO ${store.ch.database}.metric_points (${POINT_COLUMNS.join(', ')})
        SELECT concat('wide-', toString(number % 100)), 'loss', intDiv(number, 100), sin(number),
          toDateTime64(1700000000 + intDiv(number, 1000), 3, 'UTC'), 'metrics', 0, number
        FROM numbers(2000000)`,
    });
    const answer = await overlay({ runIds, keys: ['loss'], maxPoints: 100, axis: 'step', method: 'minmax' });
    expect(answer.series).toHaveLength(100);
    for (const series of answer.series) {
      expect(series.totalPoints).toBe(20_000);
      expect(series.resolution).toBeGreaterThan(1);
      expect(series.buckets.length).toBeLessThanOrEqual(50);
    }
    expect(answer.rowsRead).toBeLessThan(2_000_000 / 4);
  }, 300_000);
});
