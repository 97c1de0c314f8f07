import fc from 'fast-check';
import { checkHistogram, checkMediaKey, checkTable, histogramOf, imageExtension } from './media';

describe('SDK media', () => {
  it('bins every finite value exactly once, into the bin whose edges hold it', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.double({ min: -1e9, max: 1e9, noNaN: true }),
            fc.double({ noNaN: true }),
            fc.constantFrom(NaN, Infinity, -Infinity, Number.MIN_VALUE, -Number.MAX_VALUE, Number.MAX_VALUE),
          ),
        ),
        fc.integer({ min: 1, max: 64 }),
        (values, bins) => {
          const { edges, counts } = histogramOf(values, bins);
          const finite = values.filter(Number.isFinite);
          expect(counts.reduce((a, b) => a + b, 0)).toBe(finite.length);
          expect(edges.length).toBe(counts.length + 1);
          for (let i = 1; i < edges.length; i++) expect(edges[i]).toBeGreaterThan(edges[i - 1]);
          for (const value of finite) {
            expect(value).toBeGreaterThanOrEqual(edges[0]);
            expect(value).toBeLessThanOrEqual(edges[edges.length - 1]);
          }
          expect(edges.every(Number.isFinite)).toBe(true);
          const last = counts.length - 1;
          const holds = (bin: number, value: number) =>
            edges[bin] <= value && (value < edges[bin + 1] || (bin === last && value === edges[bin + 1]));
          expect(counts.map((_, bin) => finite.filter((value) => holds(bin, value)).length)).toEqual(counts);
          expect(() => checkHistogram({ edges, counts })).not.toThrow();
        },
      ),
      {
        numRuns: 500,
        examples: [
          [[0, Number.MIN_VALUE], 2],
          [[-Number.MAX_VALUE, Number.MAX_VALUE], 3],
          [[1e300], 1],
        ],
      },
    );
  });

  it('refuses what the server would refuse, before anything is sent', () => {
    expect(() => checkMediaKey('../up', 1)).toThrow(/key/);
    expect(() => checkMediaKey('val/confusion', 1.5)).toThrow(/step/);
    expect(() => checkMediaKey('val/confusion', -3)).not.toThrow();
    expect(() => histogramOf([1], 0)).toThrow(/bins/);
    expect(() => checkHistogram({ edges: [0, 1, 1], counts: [1, 2] })).toThrow(/ascending/);
    expect(() => checkHistogram({ edges: [0, 1], counts: [1, 2] })).toThrow(/per bin/);
    expect(() => checkTable({ columns: ['a', 'b'], rows: [[1]] })).toThrow(/per column/);
    expect(() => imageExtension('text/html')).toThrow(/image/);
    expect(imageExtension('image/jpeg')).toBe('jpg');
  });
});
