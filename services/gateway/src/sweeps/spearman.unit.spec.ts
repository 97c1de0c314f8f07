import fc from 'fast-check';
import { averageRanks, spearman } from './spearman';

describe('spearman', () => {
  it('gives ties their average rank', () => {
    expect(averageRanks([10, 20, 20, 30, 20])).toEqual([1, 3, 3, 5, 3]);
  });

  it('matches scipy.stats.spearmanr on a sample with ties', () => {
    // scipy.stats.spearmanr([1, 2, 2, 3], [1, 3, 2, 4]).statistic == 0.9486832980505138
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(0.9486832980505138, 12);
  });

  it('is ±1 for any strictly monotone relation, and unchanged by monotone transforms', () => {
    const distinct = fc.uniqueArray(fc.integer({ min: -1e5, max: 1e5 }), {
      minLength: 3,
      maxLength: 30,
    });
    fc.assert(
      fc.property(distinct, (xs) => {
        expect(
          spearman(
            xs,
            xs.map((x) => x * 3 + 1),
          ),
        ).toBeCloseTo(1, 9);
        expect(
          spearman(
            xs,
            xs.map((x) => -(x ** 3)),
          ),
        ).toBeCloseTo(-1, 9);
      }),
    );
  });

  it('has no value below three pairs or for a constant side', () => {
    expect(spearman([1, 2], [2, 1])).toBeNull();
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNull();
  });
});
