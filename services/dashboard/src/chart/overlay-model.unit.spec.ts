import fc from 'fast-check';
import {
  align,
  appendPoints,
  keepLiveTails,
  seriesFromQuery,
  smooth,
  type ChartSeries,
} from './overlay-model';

const empty = (runId = 'r', key = 'loss'): ChartSeries => ({
  id: `${runId}/${key}`,
  runId,
  key,
  worker: null,
  columns: { x: [], min: [], max: [], last: [] },
});

const value = fc.oneof(
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.constantFrom('NaN' as const, 'Infinity' as const, '-Infinity' as const),
);

describe('the overlay model', () => {
  it('keeps a live series within its budget however long it streams, and never loses its extremes', () => {
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 3000 }),
        fc.integer({ min: 2, max: 200 }),
        (values, budget) => {
          const series = empty();
          values.forEach((v, step) => appendPoints(series, [{ x: step, value: v }], budget));
          const finite = values.filter((v): v is number => typeof v === 'number');
          expect(series.columns.x.length).toBeLessThanOrEqual(budget);
          expect(series.columns.x).toEqual([...series.columns.x].sort((a, b) => a - b));
          // The newest point stays exact at the end.
          expect(series.columns.x[series.columns.x.length - 1]).toBe(values.length - 1);
          const maxes = series.columns.max.filter((v): v is number => v !== null);
          const mins = series.columns.min.filter((v): v is number => v !== null);
          if (finite.length > 0) {
            expect(Math.max(...maxes)).toBe(Math.max(...finite));
            expect(Math.min(...mins)).toBe(Math.min(...finite));
          }
        },
      ),
    );
  });

  it('keeps live points that arrived while a query ran, past its answer, and no others', () => {
    const before = empty();
    appendPoints(
      before,
      [0, 1, 2, 3, 4].map((x) => ({ x, value: x })),
      100,
    );
    const answered = empty();
    appendPoints(
      answered,
      [0, 1, 2].map((x) => ({ x, value: 10 + x })),
      100,
    );
    const [merged] = keepLiveTails([answered], [before]);
    expect(merged.columns.x).toEqual([0, 1, 2, 3, 4]);
    expect(merged.columns.last).toEqual([10, 11, 12, 3, 4]);
    expect(keepLiveTails([empty('other')], [before])[0].columns.x).toEqual([]);
  });

  it('folds a point at or before the last x into the last bucket', () => {
    const series = empty();
    appendPoints(series, [{ x: 5, value: 1 }], 10);
    appendPoints(
      series,
      [
        { x: 5, value: 9 },
        { x: 4, value: -3 },
      ],
      10,
    );
    expect(series.columns).toEqual({ x: [5], min: [-3], max: [9], last: [-3] });
  });

  it('aligns series on one x array, each value at its own x, without growing past the cells asked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 100_000 }), { maxLength: 300 }), {
          minLength: 1,
          maxLength: 8,
        }),
        (xsPerSeries) => {
          const series = xsPerSeries.map((xs, i) => {
            const s = empty(`r${i}`);
            const sorted = [...xs].sort((a, b) => a - b);
            appendPoints(
              s,
              sorted.map((x) => ({ x, value: x + i })),
              10_000,
            );
            return s;
          });
          const cells = 100;
          const [x, ...columns] = align(series, cells);
          expect(columns.length).toBe(series.length * 3);
          for (const column of columns) expect(column.length).toBe(x.length);
          const union = new Set(xsPerSeries.flat());
          if (
            union.size <= cells * 2 ||
            series.every((s) => s.columns.x.join() === series[0].columns.x.join())
          ) {
            // Exact: each series' last value stands at its own x.
            series.forEach((s, i) =>
              s.columns.x.forEach((at, j) => expect(columns[i * 3][x.indexOf(at)]).toBe(s.columns.last[j])),
            );
          } else {
            expect(x.length).toBe(cells);
            // Re-bucketed: the envelope still holds every series' extremes.
            series.forEach((s, i) => {
              const high = Math.max(...(s.columns.max as number[]));
              expect(Math.max(...(columns[i * 3 + 2].filter((v) => v !== null) as number[]))).toBe(high);
            });
          }
        },
      ),
    );
  });

  it('draws NaN and infinities as gaps, and a downsampled answer from its buckets', () => {
    const series = seriesFromQuery({
      runId: 'r',
      key: 'loss',
      worker: null,
      downsampled: true,
      bucketColumns: { x: [0, 10], min: [1, 'NaN'], max: [5, 'Infinity'], last: [2, null] },
      pointColumns: { x: [], value: [] },
    });
    expect(series.columns).toEqual({ x: [0, 10], min: [1, null], max: [5, null], last: [2, null] });
  });

  it('smooths with a debiased moving average: a constant stays itself, gaps stay gaps', () => {
    expect(smooth([3, 3, null, 3], 0.9)).toEqual(
      [3, 3, null, 3].map((v) => (v === null ? null : expect.closeTo(3, 10))),
    );
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const smoothed = smooth([0, 10, 0, 10, 0, 10], 0.6) as number[];
    expect(Math.max(...smoothed.slice(2)) - Math.min(...smoothed.slice(2))).toBeLessThan(10);
  });
});
