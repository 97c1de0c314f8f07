import fc from 'fast-check';
import {
  bucketStart,
  bucketsFor,
  planSeriesRead,
  READ_ROWS_PER_POINT,
  ROLLUP_RESOLUTIONS,
} from './series-resolution';

describe('planSeriesRead', () => {
  it('reads raw points while they fit the read budget', () => {
    expect(planSeriesRead({ lo: 0, hi: 9, points: 10 }, 1000)).toEqual({ source: 'raw' });
    // A zoomed-in range of a huge run: few points, so raw even though downsampled.
    expect(planSeriesRead({ lo: 5_000_000, hi: 5_004_999, points: 5000 }, 1000)).toEqual({ source: 'raw' });
  });

  it('answers 1,000 points of a 10,000,000-step run from the 10,000-step rollup, 1,000 rows', () => {
    expect(planSeriesRead({ lo: 0, hi: 9_999_999, points: 10_000_000 }, 1000)).toEqual({
      source: 'rollup',
      resolution: 10_000,
      origin: 0,
      width: 20_000,
    });
  });

  it('takes the finest resolution within the budget', () => {
    expect(planSeriesRead({ lo: 0, hi: 99_999, points: 100_000 }, 1000)).toMatchObject({ resolution: 100 });
    expect(planSeriesRead({ lo: 0, hi: 9_999, points: 10_000 }, 1000)).toMatchObject({ resolution: 10 });
  });

  it('aligns buckets on the resolution, negative steps included', () => {
    expect(bucketStart(-5, 10)).toBe(-10);
    expect(bucketStart(-10, 10)).toBe(-10);
    expect(bucketStart(15, 10)).toBe(10);
    expect(planSeriesRead({ lo: -12_345, hi: 87_654, points: 100_000 }, 1000)).toMatchObject({
      resolution: 100,
      origin: -12_400,
    });
  });

  it('falls back to the coarsest rollup for a span longer than any budget', () => {
    expect(planSeriesRead({ lo: 0, hi: 1e12, points: 1e9 }, 2)).toMatchObject({ resolution: 10_000 });
  });

  it('for any series: rows read within budget (when any rollup fits), whole rollup buckets, at most maxPoints points', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e9, max: 1e9 }),
        fc.integer({ min: 0, max: 1e8 }),
        fc.integer({ min: 2, max: 10_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (lo, length, maxPoints, density) => {
          const hi = lo + length;
          const points = Math.max(1, Math.floor((length + 1) * density));
          const plan = planSeriesRead({ lo, hi, points }, maxPoints);
          const budget = READ_ROWS_PER_POINT * maxPoints;
          if (plan.source === 'raw') return points <= budget;
          const rows = (bucketStart(hi, plan.resolution) - plan.origin) / plan.resolution + 1;
          const slots = Math.ceil(rows / (plan.width / plan.resolution));
          const coarsest = plan.resolution === ROLLUP_RESOLUTIONS[ROLLUP_RESOLUTIONS.length - 1];
          return (
            points > budget &&
            (rows <= budget || coarsest) &&
            plan.origin % plan.resolution === 0 &&
            plan.origin <= lo &&
            plan.width % plan.resolution === 0 &&
            slots <= bucketsFor(maxPoints) &&
            // Never coarser than asked: the bucket width is the width today's raw read would use, or less than
            // twice it (rounding up to whole rollup buckets), unless even the coarsest rollup is too fine.
            (coarsest ||
              plan.width < 2 * Math.ceil((hi - plan.origin + 1) / bucketsFor(maxPoints)) + plan.resolution)
          );
        },
      ),
    );
  });
});
