import { parallelAxes } from './parallel-axes';

describe('parallel coordinates', () => {
  it('scales numeric params between their extremes, orders categories, and puts the objective last', () => {
    const rows = [
      {
        params: [
          { key: 'lr', value: '0.1' },
          { key: 'opt', value: 'sgd' },
        ],
        metrics: [{ key: 'acc', value: 0.5 }],
      },
      {
        params: [
          { key: 'lr', value: '0.3' },
          { key: 'opt', value: 'adam' },
        ],
        metrics: [{ key: 'acc', value: 0.9 }],
      },
      { params: [{ key: 'lr', value: '0.2' }], metrics: [{ key: 'acc', value: 'NaN' as const }] },
    ];
    const axes = parallelAxes(rows, 'acc');
    expect(axes.map((axis) => axis.name)).toEqual(['lr', 'opt', 'acc']);
    expect(axes[0].positions).toEqual([0, 1, expect.closeTo(0.5, 10)]);
    expect(axes[1].positions).toEqual([1, 0, null]);
    expect(axes[2].positions).toEqual([0, 1, null]);
    expect([axes[1].low, axes[1].high]).toEqual(['adam', 'sgd']);
  });
});
