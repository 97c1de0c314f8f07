import { ValidationError } from '../../../../libs/domain/src/errors';
import { checkMetricColumns, MAX_POINTS_PER_REQUEST } from './metric-batch';

const series = (n: number, extra: Partial<{ values: number[]; timestamps: number[] }> = {}) => ({
  key: 'loss',
  steps: Array.from({ length: n }, (_, i) => i),
  values: Array.from({ length: n }, () => 1),
  ...extra,
});

function refusal(fn: () => void): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('checkMetricColumns', () => {
  it('accepts parallel arrays of equal length, with or without timestamps', () => {
    expect(() => checkMetricColumns([series(3), series(2, { timestamps: [1, 2] })])).not.toThrow();
  });

  it('names the values column of the series whose length differs', () => {
    expect(refusal(() => checkMetricColumns([series(2), series(3, { values: [1] })])).field).toBe(
      'metrics[1].values',
    );
  });

  it('names the timestamps column when it differs', () => {
    expect(refusal(() => checkMetricColumns([series(2, { timestamps: [1] })])).field).toBe(
      'metrics[0].timestamps',
    );
  });

  it('refuses more points per request than the bound, across series', () => {
    const half = MAX_POINTS_PER_REQUEST / 2;
    expect(() => checkMetricColumns([series(half), series(half)])).not.toThrow();
    expect(refusal(() => checkMetricColumns([series(half), series(half + 1)])).field).toBe('metrics');
  });
});
