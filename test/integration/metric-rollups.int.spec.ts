import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyMigrations,
  findMigrationsDir,
  getMetricSeries,
  getRunWorkers,
  readerFor,
  READ_ROWS_PER_POINT,
  ROLLUP_RESOLUTIONS,
  type ClickHouse,
  type MetricPoint,
  type MetricSeries,
} from '../../libs/store/src';
import { insertGeneratedRun, insertPoints, seededRandom } from '../support/metric-points';
import { distributedStore, useStore } from '../support/store-fixture';

/**
 * Rollups (migration 007) on the real engines: chDB in this process, or under the `integration on Kafka`
 * project the ClickHouse the global setup serves over HTTP (chDB behind the project's HTTP front). Points are
 * written straight into metric_points, as the projector would; the materialized views do the rest.
 */
/** What the series must be, computed over the raw points alone from the span and bucket width it reports. */
function bruteForce(
  raw: MetricPoint[],
  series: MetricSeries,
): { points: MetricPoint[]; totalPoints: number } {
  if (series.span === null) return { points: [], totalPoints: 0 };
  const { fromStep, toStep, bucketWidth } = series.span;
  const inSpan = raw.filter((point) => point.step >= fromStep && point.step <= toStep);
  if (!series.downsampled) return { points: inSpan, totalPoints: inSpan.length };
  const buckets = new Map<number, MetricPoint[]>();
  for (const point of inSpan) {
    const slot = Math.floor((point.step - fromStep) / bucketWidth);
    buckets.set(slot, [...(buckets.get(slot) ?? []), point]);
  }
  const points: MetricPoint[] = [];
  for (const slot of [...buckets.keys()].sort((a, b) => a - b)) {
    const bucket = buckets.get(slot)!;
    const finite = bucket.filter((point) => Number.isFinite(point.value));
    if (finite.length === 0) {
      points.push(bucket[0]);
      continue;
    }
    const low = finite.reduce((best, point) => (point.value < best.value ? point : best));
    const high = finite.reduce((best, point) => (point.value > best.value ? point : best));
    if (low === high) points.push(low);
    else points.push(...[low, high].sort((a, b) => a.step - b.step));
  }
  return { points, totalPoints: inSpan.length };
}

describe('metric rollups (migration 007) and the metricSeries read', () => {
  const store = useStore('rollups');
  let ch: ClickHouse;
  let dir: string;
  beforeAll(() => {
    ({ ch, dir } = store);
  });

  it('reads a bounded number of rows for 1,000 points whether the run holds 100,000 or 10,000,000', async () => {
    const sizes = [100_000, 10_000_000];
    const answers: MetricSeries[] = [];
    for (const size of sizes) {
      const runId = `run-${size}`;
      const spikes: [number, number] = [Math.floor(size * 0.37), Math.floor(size * 0.81)];
      await insertGeneratedRun(ch, runId, size, spikes);
      const series = await getMetricSeries(readerFor(ch), { runId, key: 'loss', maxPoints: 1000 });
      expect(series.totalPoints).toBe(size);
      expect(series.downsampled).toBe(true);
      expect(series.resolution).toBeGreaterThan(1);
      expect(series.points.length).toBeLessThanOrEqual(1000);
      expect(series.points.length).toBeGreaterThan(500);
      expect(series.points).toContainEqual(expect.objectContaining({ step: spikes[0], value: 1e9 }));
      expect(series.points).toContainEqual(expect.objectContaining({ step: spikes[1], value: -1e9 }));
      // The same series from raw points reads every one of them: the measure can tell the two apart.
      const raw = await readerFor(ch).queryMeasured({
        name: 'rawSeriesForComparison',
        sql: `SELECT intDiv(step, {width:Int64}) AS slot, min(value), max(value) FROM ${ch.database}.metric_points
         WHERE run_id = {runId:String} AND key = 'loss' GROUP BY slot`,
        params: { runId, width: Math.ceil(size / 500) },
      });
      expect(raw.rowsRead).toBeGreaterThanOrEqual(size);
      // Zoomed in far enough, the raw points themselves answer: exactly the steps asked, none around them.
      const zoom = await getMetricSeries(readerFor(ch), {
        runId,
        key: 'loss',
        maxPoints: 1000,
        fromStep: 5000,
        toStep: 5999,
      });
      expect(zoom).toMatchObject({ downsampled: false, resolution: 1, totalPoints: 1000 });
      expect(zoom.points.map((point) => point.step)).toEqual(
        Array.from({ length: 1000 }, (_, i) => 5000 + i),
      );
      answers.push(series);
    }
    const [small, large] = answers;
    const bound = 4 * READ_ROWS_PER_POINT * 1000;
    expect(small.rowsRead).toBeLessThanOrEqual(bound);
    expect(large.rowsRead).toBeLessThanOrEqual(bound);
    // 100 times the points, and not even 3 times the rows read.
    expect(large.rowsRead).toBeLessThan(3 * Math.max(small.rowsRead, 1000));
  }, 600_000);

  it('keeps every bucket min and max exact on random data with spikes, NaN and infinities', async () => {
    const random = seededRandom(20261211);
    const points: MetricPoint[] = [];
    let step = -3000;
    for (let i = 0; i < 3500; i++) {
      // 2,000 dense points (a step or two apart), then 1,500 sparse ones: every resolution has work to do.
      step += i < 2000 ? 1 + Math.floor(random() * 2) : 1 + Math.floor(random() * 1500);
      const roll = random();
      const inNonFiniteStretch = i >= 700 && i < 900;
      const value = inNonFiniteStretch
        ? [NaN, Infinity, -Infinity][i % 3]
        : roll < 0.02
          ? (random() < 0.5 ? -1 : 1) * (1e6 + i)
          : roll < 0.05
            ? NaN
            : roll < 0.06
              ? Infinity
              : roll < 0.07
                ? -Infinity
                : random() * 10 - 5;
      points.push({ step, value, timestamp: 1_700_000_000_000 + Math.floor(random() * 1e9) });
    }
    await insertPoints(ch, 'random-run', 'noisy', points);
    const last = points[points.length - 1].step;

    const cases: { maxPoints: number; fromStep?: number; toStep?: number }[] = [
      ...[2, 10, 50, 200, 1000, 2000, 10_000].map((maxPoints) => ({ maxPoints })),
      { maxPoints: 5, fromStep: -3000, toStep: 0 },
      { maxPoints: 10, fromStep: -3000, toStep: 0 },
      { maxPoints: 100, fromStep: -3000, toStep: 0 },
      // One step, and a few, zoomed into a long series.
      { maxPoints: 2, fromStep: last - 1, toStep: last - 1 },
      { maxPoints: 2, fromStep: 100, toStep: 104 },
    ];
    for (let i = 0; i < 25; i++) {
      const a = -3000 + Math.floor(random() * (last + 3000));
      const b = -3000 + Math.floor(random() * (last + 3000));
      cases.push({
        maxPoints: 2 + Math.floor(random() * 400),
        fromStep: Math.min(a, b),
        toStep: Math.max(a, b),
      });
    }
    const resolutions = new Set<number>();
    for (const query of cases) {
      const series = await getMetricSeries(readerFor(ch), { runId: 'random-run', key: 'noisy', ...query });
      resolutions.add(series.resolution);
      const inRange = points.filter(
        (point) => point.step >= (query.fromStep ?? -Infinity) && point.step <= (query.toStep ?? Infinity),
      );
      if (series.span !== null) {
        // The span covers the range asked for (widened at most to the edges of the rollup buckets read).
        expect(series.span.fromStep).toBeLessThanOrEqual(inRange[0].step);
        expect(series.span.toStep).toBeGreaterThanOrEqual(inRange[inRange.length - 1].step);
      } else expect(inRange).toEqual([]);
      expect({ query, ...series }).toEqual({ query, ...series, ...bruteForce(points, series) });
      expect(series.points.length).toBeLessThanOrEqual(query.maxPoints);
      // Few enough points in the range are read raw, exactly: nothing outside it.
      if (inRange.length <= query.maxPoints * READ_ROWS_PER_POINT) {
        expect({ query, resolution: series.resolution, totalPoints: series.totalPoints }).toEqual({
          query,
          resolution: 1,
          totalPoints: inRange.length,
        });
      }
    }
    expect([...resolutions].sort((a, b) => a - b)).toEqual([1, ...ROLLUP_RESOLUTIONS]);
  }, 120_000);

  it('backfills an existing store, then keeps the rollups whole through later inserts', async () => {
    const before = join(dir, 'before-007');
    cpSync(findMigrationsDir(), before, {
      recursive: true,
      filter: (source) => !/\/00[7-9]_|\/0[1-9]\d_/.test(source),
    });
    // The same engine (one chDB per process), another database.
    const old: ClickHouse = { ...ch, database: `rollups_backfill_${process.pid}_${Date.now() % 1e6}` };
    try {
      expect(await applyMigrations(old, before)).not.toContain('007_metric_rollups.sql');
      await insertGeneratedRun(old, 'old-run', 123_456, [777, 100_000]);
      // Every migration from 007 on, those of later issues included.
      const fromRollups = readdirSync(findMigrationsDir())
        .filter((file) => /^\d{3}_[\w-]+\.sql$/.test(file) && file >= '007')
        .sort();
      expect(fromRollups[0]).toBe('007_metric_rollups.sql');
      expect(await applyMigrations(old)).toEqual(fromRollups);
      // Points stored before 010 are the default worker's.
      expect(await getRunWorkers(readerFor(old), ['old-run'])).toEqual(new Map([['old-run', ['']]]));
      await insertGeneratedRun(old, 'new-run', 54_321, [1, 2]);
      for (const resolution of ROLLUP_RESOLUTIONS) {
        const diff = await readerFor(old).queryMeasured<Record<string, unknown>>({
          name: 'rollupAgainstRaw',
          sql: `SELECT run_id, bucket, r.count, p.count, r.min, p.min, r.max, p.max FROM
             (SELECT run_id, bucket, sum(count) AS count, min(min) AS min, max(max) AS max
              FROM ${old.database}.metric_rollup_${resolution} GROUP BY run_id, bucket) AS r
           FULL OUTER JOIN
             (SELECT run_id, step - positiveModulo(step, ${resolution}) AS bucket, count() AS count,
                minIf(value, isFinite(value)) AS min, maxIf(value, isFinite(value)) AS max
              FROM ${old.database}.metric_points GROUP BY run_id, bucket) AS p
           USING (run_id, bucket)
           WHERE r.count != p.count OR r.min != p.min OR r.max != p.max LIMIT 5`,
          params: {},
        });
        expect({ resolution, differences: diff.rows }).toEqual({ resolution, differences: [] });
      }
      const series = await getMetricSeries(readerFor(old), { runId: 'old-run', key: 'loss', maxPoints: 200 });
      expect(series).toMatchObject({ totalPoints: 123_456, downsampled: true, resolution: 1000 });
    } finally {
      if (distributedStore) await old.client.command({ query: `DROP DATABASE IF EXISTS ${old.database}` });
    }
  }, 300_000);
});
