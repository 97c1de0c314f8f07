import fc from 'fast-check';
import { MlflowError } from '../protocol/mlflow-error';
import { MlflowFields } from '../protocol/mlflow-fields';
import {
  batchOf,
  checkKey,
  columnar,
  MAX_BATCH_ENTITIES,
  MAX_BATCH_METRICS,
  MAX_BATCH_PARAMS,
  MAX_BATCH_TAGS,
  MAX_KEY_LENGTH,
  MAX_PARAM_VALUE_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  paramOf,
  tagOf,
} from './batch-limits';

const body = (value: object) => new MlflowFields(value as Record<string, unknown>, false);
const metric = (i: number) => ({ key: `m${i}`, value: i, timestamp: 1, step: i });
const param = (i: number) => ({ key: `p${i}`, value: String(i) });
const tag = (i: number) => ({ key: `t${i}`, value: String(i) });
const refusal = (run: () => unknown): MlflowError | null => {
  try {
    run();
    return null;
  } catch (error) {
    if (error instanceof MlflowError) return error;
    throw error;
  }
};

describe('MLflow batch limits', () => {
  it('takes a batch within every limit and refuses one past any, naming it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_BATCH_METRICS + 2 }),
        fc.integer({ min: 0, max: MAX_BATCH_PARAMS + 2 }),
        fc.integer({ min: 0, max: MAX_BATCH_TAGS + 2 }),
        (metrics, params, tags) => {
          const error = refusal(() =>
            batchOf(
              body({
                metrics: Array.from({ length: metrics }, (_, i) => metric(i)),
                params: Array.from({ length: params }, (_, i) => param(i)),
                tags: Array.from({ length: tags }, (_, i) => tag(i)),
              }),
            ),
          );
          const over =
            metrics > MAX_BATCH_METRICS ||
            params > MAX_BATCH_PARAMS ||
            tags > MAX_BATCH_TAGS ||
            metrics + params + tags > MAX_BATCH_ENTITIES;
          expect(error === null).toBe(!over);
          if (error) {
            expect(error.code).toBe('INVALID_PARAMETER_VALUE');
            expect(error.message).toMatch(/at most \d+ (metrics|params|tags)/);
          }
        },
      ),
      {
        numRuns: 200,
        examples: [
          [1000, 0, 0],
          [1001, 0, 0],
          [900, 100, 0],
          [900, 100, 1],
          [0, 101, 0],
          [0, 0, 101],
        ],
      },
    );
  });

  it('keeps a key of MLflow\u2019s characters up to 250, path-normal, and refuses anything else', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_\-. :]{1,20}$/).filter((s) => s !== '.' && s !== '..');
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 20 }), (segments) => {
        const key = segments.join('/');
        expect(refusal(() => checkKey('metric', key)) === null).toBe(key.length <= MAX_KEY_LENGTH);
      }),
    );
    expect(checkKey('metric', 'a'.repeat(MAX_KEY_LENGTH))).toHaveLength(MAX_KEY_LENGTH);
    for (const bad of [
      'a'.repeat(MAX_KEY_LENGTH + 1),
      '../up',
      'a/../b',
      '/abs',
      'a//b',
      'a/.',
      'é',
      'a\tb',
      'a?b',
      'a%2e',
    ]) {
      expect(refusal(() => checkKey('metric', bad))?.message).toMatch(/Invalid metric name/);
    }
  });

  it('keeps param values up to 6,000 characters and tag values up to 8,000, and refuses longer ones', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_TAG_VALUE_LENGTH + 10 }), (length) => {
        const value = 'v'.repeat(length);
        const paramRefused = refusal(() => paramOf(body({ key: 'k', value })));
        const tagRefused = refusal(() => tagOf(body({ key: 'k', value })));
        expect(paramRefused === null).toBe(length <= MAX_PARAM_VALUE_LENGTH);
        expect(tagRefused === null).toBe(length <= MAX_TAG_VALUE_LENGTH);
        if (paramRefused)
          expect(paramRefused.message).toMatch(/^Param value .* exceeded length limit of 6000$/);
        if (tagRefused) expect(tagRefused.message).toMatch(/^Tag value .* exceeded length limit of 8000$/);
      }),
      {
        examples: [
          [MAX_PARAM_VALUE_LENGTH],
          [MAX_PARAM_VALUE_LENGTH + 1],
          [MAX_TAG_VALUE_LENGTH],
          [MAX_TAG_VALUE_LENGTH + 1],
        ],
      },
    );
  });

  it('groups points by key, in order, with non-finite values as the native API spells them', () => {
    expect(
      columnar([
        { key: 'a', value: 1, timestamp: 10, step: 0 },
        { key: 'b', value: NaN, timestamp: 11, step: 0 },
        { key: 'a', value: -Infinity, timestamp: 12, step: 1 },
      ]),
    ).toEqual([
      { key: 'a', steps: [0, 1], values: [1, '-Infinity'], timestamps: [10, 12] },
      { key: 'b', steps: [0], values: ['NaN'], timestamps: [11] },
    ]);
  });

  it('refuses differing values for one param key in a batch; equal ones are one param', () => {
    expect(batchOf(body({ params: [param(1), param(1)] })).params).toEqual([param(1)]);
    expect(
      refusal(() => batchOf(body({ params: [param(1), { key: 'p1', value: 'other' }] })))?.message,
    ).toMatch(/Duplicate parameter keys/);
  });
});
