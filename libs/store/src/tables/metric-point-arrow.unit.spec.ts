import { tableFromIPC } from 'apache-arrow';
import fc from 'fast-check';
import { int64Array, metricPointsArrowStream, uint64Array } from './metric-point-arrow';
import { METRIC_POINT_COLUMNS, UNLABELLED_METRIC_POINT_COLUMNS } from './metric-points.table';

const SAFE = Number.MAX_SAFE_INTEGER;

describe('metric points as an Arrow stream', () => {
  it('writes every safe integer as the same 64-bit integer, signed and unsigned', () => {
    const edges = [
      0,
      1,
      -1,
      2 ** 31,
      -(2 ** 31),
      2 ** 32 - 1,
      2 ** 32,
      -(2 ** 32),
      -(2 ** 32) - 1,
      SAFE,
      -SAFE,
    ];
    const signed = fc.oneof(fc.constantFrom(...edges), fc.integer(), fc.maxSafeInteger());
    fc.assert(
      fc.property(fc.array(signed, { maxLength: 50 }), (values) => {
        expect([...int64Array(Float64Array.from(values), values.length)]).toEqual(
          values.map((v) => BigInt(v)),
        );
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.nat({ max: SAFE }), { maxLength: 50 }), (values) => {
        expect([...uint64Array(Float64Array.from(values), values.length)]).toEqual(
          values.map((v) => BigInt(v)),
        );
      }),
    );
  });

  it('reads back, row by row, as the columns it was made of', () => {
    const text = fc.string({ unit: 'binary', maxLength: 12 });
    const series = fc.uniqueArray(fc.tuple(text, text, fc.constantFrom('', '0', '1', 'node-2:rank-7')), {
      minLength: 1,
      maxLength: 6,
      selector: ([run, key, worker]) => `${run}\u0000${key}\u0000${worker}`,
    });
    const value = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0));
    fc.assert(
      fc.property(
        series,
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.maxSafeInteger(),
            value,
            fc.integer({ min: -1e13, max: 1e13 }),
            fc.nat({ max: SAFE }),
          ),
          {
            maxLength: 40,
          },
        ),
        text,
        fc.nat({ max: 2 ** 32 - 1 }),
        (pairs, rows, topic, partition) => {
          const extra = 3; // arrays longer than the rows, as MetricPointColumns grows them
          const n = rows.length;
          const arrays = {
            rows: n,
            series: new Int32Array(n + extra),
            steps: new Float64Array(n + extra),
            values: new Float64Array(n + extra),
            timestamps: new Float64Array(n + extra),
            offsets: new Float64Array(n + extra),
            runIds: pairs.map(([run]) => run),
            keys: pairs.map(([, key]) => key),
            workers: pairs.map(([, , worker]) => worker),
            topic,
            partition,
          };
          rows.forEach(([s, step, v, time, offset], row) => {
            arrays.series[row] = s % pairs.length;
            arrays.steps[row] = step;
            arrays.values[row] = v;
            arrays.timestamps[row] = time;
            arrays.offsets[row] = offset;
          });
          const table = tableFromIPC(metricPointsArrowStream(arrays));
          // Only the default worker's points: `worker` is left out, for the column's DEFAULT ('') to fill.
          const labelled = arrays.workers.some((worker) => worker !== '');
          expect(table.schema.fields.map((field) => field.name)).toEqual([
            ...(labelled ? METRIC_POINT_COLUMNS : UNLABELLED_METRIC_POINT_COLUMNS),
          ]);
          expect(table.numRows).toBe(n);
          const read = table.toArray().map((row) => row.toJSON() as Record<string, unknown>);
          read.forEach((got, row) => {
            const [s, step, v, time, offset] = rows[row];
            const [run, key, worker] = pairs[s % pairs.length];
            expect(got.run_id).toBe(run);
            expect(got.key).toBe(key);
            expect(got.step).toBe(BigInt(step));
            expect(Object.is(got.value, v)).toBe(true);
            expect(Number(got.timestamp)).toBe(time);
            expect(got._log_topic).toBe(topic);
            expect(got._log_partition).toBe(partition);
            expect(got._log_offset).toBe(BigInt(offset));
            expect(got.worker).toBe(labelled ? worker : undefined);
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
