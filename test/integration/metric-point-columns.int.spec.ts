import fc from 'fast-check';
import type { MetricValue } from '../../libs/events/src/run.events';
import { MAX_STORABLE_MILLIS, MIN_STORABLE_MILLIS } from '../../libs/events/src/storable';
import {
  getMetricSeries,
  getProjectionIntent,
  insertMetricPoints,
  MetricPointColumns,
  readerFor,
  writerFor,
  type ClickHouse,
} from '../../libs/store/src';
import { useStore } from '../support/store-fixture';

/**
 * The projector's metric-point insert on the real engine: typed-array columns through chDB's Arrow input in this
 * process, or under the `integration on Kafka` project TabSeparated text to the ClickHouse the global setup serves
 * over HTTP. Whatever the strings, numbers and times, what is read back is what was appended.
 */

interface StoredPoint {
  runId: string;
  key: string;
  step: number;
  value: number | string;
  timestamp: number;
  offset: number;
}

const value = fc.oneof(
  fc.double(),
  fc.constantFrom<MetricValue>('NaN', 'Infinity', '-Infinity', 0, -0, Number.MIN_VALUE, Number.MAX_VALUE),
);
const series = fc.record({
  runId: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  key: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
  points: fc.array(
    fc.record({
      step: fc.oneof(fc.integer(), fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER)),
      value,
      timestamp: fc.integer({ min: MIN_STORABLE_MILLIS, max: MAX_STORABLE_MILLIS }),
    }),
    { minLength: 1, maxLength: 5 },
  ),
});

const asStored = (logged: MetricValue): number | string => {
  if (typeof logged === 'string') return logged === 'NaN' ? 'nan' : logged === 'Infinity' ? 'inf' : '-inf';
  return Number.isNaN(logged) ? 'nan' : logged === Infinity ? 'inf' : logged === -Infinity ? '-inf' : logged;
};

describe('metric point columns on the real engine', () => {
  const store = useStore('columns');
  let ch: ClickHouse;
  beforeAll(() => {
    ch = store.ch;
  });

  it('stores every run id, key, step, value and time exactly as appended', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(series, { minLength: 1, maxLength: 6 }), async (batch) => {
        round += 1;
        const topic = `metrics-'\\-${round}`;
        const points = new MetricPointColumns();
        const expected: StoredPoint[] = [];
        batch.forEach((logged, index) => {
          const position = { topic, partition: 3, offset: index };
          const steps = logged.points.map((point) => point.step);
          const values = logged.points.map((point) => point.value);
          const times = logged.points.map((point) => point.timestamp);
          points.append(logged.runId, logged.key, steps, values, times, 0, position);
          logged.points.forEach((point) =>
            expected.push({
              runId: logged.runId,
              key: logged.key,
              step: point.step,
              value: asStored(point.value),
              timestamp: point.timestamp,
              offset: index,
            }),
          );
        });
        await insertMetricPoints(writerFor(ch), points);
        const stored = await readerFor(ch).query<Record<string, string | number>>({
          name: 'storedPoints',
          sql: `SELECT run_id AS runId, key, toString(step) AS step, value, toUnixTimestamp64Milli(timestamp) AS ts,
                  _log_partition AS partition, _log_offset AS offset
                FROM ${ch.database}.metric_points WHERE _log_topic = {topic:String}
                ORDER BY _log_offset, run_id, key, step, timestamp`,
          params: { topic },
        });
        const read = stored.map((row) => ({
          runId: String(row.runId),
          key: String(row.key),
          step: Number(row.step),
          value: typeof row.value === 'number' ? row.value : String(row.value),
          timestamp: Number(row.ts),
          offset: Number(row.offset),
        }));
        const order = (a: StoredPoint, b: StoredPoint) =>
          a.offset - b.offset ||
          (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0) ||
          (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) ||
          a.step - b.step ||
          a.timestamp - b.timestamp;
        // ClickHouse orders strings by bytes, JavaScript by UTF-16 units: compare as sorted here.
        expect(read.sort(order)).toEqual(expected.sort(order));
        expect(new Set(stored.map((row) => Number(row.partition)))).toEqual(new Set([3]));
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('reads series at the edges of the safe integers at every resolution', async () => {
    const edges = [Number.MAX_SAFE_INTEGER - 99_999, -Number.MAX_SAFE_INTEGER];
    for (const [index, start] of edges.entries()) {
      const key = `edge-${index}`;
      const steps = Array.from({ length: 100_000 }, (_, offset) => start + offset);
      const points = new MetricPointColumns();
      const position = { topic: 'edges', partition: 0, offset: index };
      points.append(
        'edge-run',
        key,
        steps,
        steps.map((_, offset) => offset % 1_000),
        undefined,
        0,
        position,
      );
      await insertMetricPoints(writerFor(ch), points);
      const read = (range: { fromStep?: number; toStep?: number }) =>
        getMetricSeries(readerFor(ch), { runId: 'edge-run', key, maxPoints: 10, ...range });
      expect(await read({})).toMatchObject({ totalPoints: 100_000, resolution: 10_000 });
      const zoomed = await read({ fromStep: start + 10, toStep: start + 14 });
      expect(zoomed).toMatchObject({ totalPoints: 5, resolution: 1, rawPointsExpired: false });
      expect(zoomed.points.map((point) => point.step)).toEqual(steps.slice(10, 15));
    }
  }, 60_000);

  it('an insert made again under its token fills in a view that missed it, and doubles nothing', async () => {
    const points = new MetricPointColumns();
    const steps = Array.from({ length: 5_000 }, (_, step) => step);
    const position = { topic: 'recovery', partition: 1, offset: 7 };
    points.append('recovered-run', 'loss', steps, steps.map(Math.sin), undefined, 0, position);
    const counts = async () => {
      const [row] = await readerFor(ch).query<Record<string, string | number>>({
        name: 'recoveryCounts',
        sql: `SELECT (SELECT count() FROM ${ch.database}.metric_points WHERE run_id = 'recovered-run') AS raw,
                (SELECT sum(count) FROM ${ch.database}.metric_summary WHERE run_id = 'recovered-run') AS summary,
                (SELECT sum(count) FROM ${ch.database}.metric_rollup_10 WHERE run_id = 'recovered-run') AS r10,
                (SELECT sum(count) FROM ${ch.database}.metric_rollup_10000 WHERE run_id = 'recovered-run') AS r10000`,
      });
      return Object.fromEntries(Object.entries(row).map(([name, value]) => [name, Number(value)]));
    };
    // A crash between the views: the last level of the chain never got the block.
    await ch.client.command({ query: `DETACH TABLE ${ch.database}.metric_rollup_10000_mv` });
    try {
      await insertMetricPoints(writerFor(ch), points);
    } finally {
      await ch.client.command({ query: `ATTACH TABLE ${ch.database}.metric_rollup_10000_mv` });
    }
    expect(await counts()).toEqual({ raw: 5_000, summary: 5_000, r10: 5_000, r10000: 0 });
    const intent = await getProjectionIntent(readerFor(ch), 'recovery', 1);
    expect(intent).toEqual({
      topic: 'recovery',
      partition: 1,
      firstOffset: 7,
      lastOffset: 7,
      rows: 5_000,
      token: points.deduplicationToken(),
    });
    await insertMetricPoints(writerFor(ch), points, intent!.token);
    expect(await counts()).toEqual({ raw: 5_000, summary: 5_000, r10: 5_000, r10000: 5_000 });
  });

  it('refuses what no column can hold, naming the field, and appends nothing for it', () => {
    const points = new MetricPointColumns();
    const position = { topic: 't', partition: 0, offset: 0 };
    expect(() => points.append('r', 'k', [1.5], [1], undefined, 0, position)).toThrow(/"steps"/);
    expect(() => points.append('r', 'k', [2 ** 53], [1], undefined, 0, position)).toThrow(/"steps"/);
    expect(() => points.append('r', 'k', [1], [1], [MAX_STORABLE_MILLIS + 1], 0, position)).toThrow(
      /"timestamp"/,
    );
    expect(() => points.append('r', 'k', [1], ['nan' as MetricValue], undefined, 0, position)).toThrow(
      /"values"/,
    );
    expect(points.length).toBe(0);
  });
});
