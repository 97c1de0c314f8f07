import fc from 'fast-check';
import { PointReservoir, type LivePoint } from './point-reservoir';

const value = fc.oneof(
  { weight: 8, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity) },
);

const series = (maxLength: number) =>
  fc
    .array(value, { maxLength })
    .map((values) => values.map((v, step): LivePoint => ({ step, value: v, timestamp: 1_000 + step })));

function sampleOf(points: LivePoint[], maxPoints: number) {
  const reservoir = new PointReservoir(maxPoints);
  let mostBuckets = 0;
  for (const point of points) {
    reservoir.add(point);
    mostBuckets = Math.max(mostBuckets, reservoir.heldBuckets);
  }
  return { ...reservoir.take(), mostBuckets };
}

describe('PointReservoir', () => {
  it('keeps every point while there are at most maxPoints', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 50 }), series(50), (maxPoints, points) => {
        fc.pre(points.length <= maxPoints);
        const sample = sampleOf(points, maxPoints);
        expect(sample.points).toEqual(points);
        expect(sample).toMatchObject({ received: points.length, downsampled: false });
      }),
    );
  });

  it('past maxPoints shows at most maxPoints real points, in arrival order, with the extremes, in bounded memory', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), series(400), (maxPoints, points) => {
        const sample = sampleOf(points, maxPoints);
        expect(sample.received).toBe(points.length);
        expect(sample.downsampled).toBe(points.length > maxPoints);
        expect(sample.points.length).toBeLessThanOrEqual(maxPoints);
        expect(sample.mostBuckets).toBeLessThanOrEqual(maxPoints);
        // The same objects that came in, each once, in the order they came.
        const positions = sample.points.map((point) => points.indexOf(point));
        expect(positions.every((position) => position >= 0)).toBe(true);
        expect(positions).toEqual([...new Set(positions)].sort((a, b) => a - b));
        const finite = points.filter((point) => Number.isFinite(point.value)).map((point) => point.value);
        const shown = sample.points.map((point) => point.value);
        if (finite.length > 0) {
          expect(shown).toContain(Math.min(...finite));
          expect(shown).toContain(Math.max(...finite));
        }
        if (points.length > 0) expect(sample.points.length).toBeGreaterThan(0);
      }),
    );
  });

  it('starts afresh after each take', () => {
    const reservoir = new PointReservoir(4);
    for (let step = 0; step < 100; step++) reservoir.add({ step, value: step, timestamp: step });
    expect(reservoir.take()).toMatchObject({ received: 100, downsampled: true });
    reservoir.add({ step: 100, value: Number.NaN, timestamp: 100 });
    expect(reservoir.take()).toEqual({
      points: [{ step: 100, value: Number.NaN, timestamp: 100 }],
      received: 1,
      downsampled: false,
    });
    expect(reservoir.take()).toEqual({ points: [], received: 0, downsampled: false });
  });

  it('shows the first point of a bucket that has no finite value', () => {
    const reservoir = new PointReservoir(2);
    for (let step = 0; step < 8; step++) reservoir.add({ step, value: Infinity, timestamp: step });
    expect(reservoir.take().points).toEqual([{ step: 0, value: Infinity, timestamp: 0 }]);
  });

  it('needs room for a minimum and a maximum', () => {
    expect(() => new PointReservoir(1)).toThrow(RangeError);
  });
});
