import fc from 'fast-check';
import { EventSchemas, METRIC_WORKER_PATTERN } from '../../../../libs/events/src/event-schemas';
import { RequestValidator } from '../request-validator';

/** A batch's `worker` label (distributed training): 1–64 characters of [A-Za-z0-9_.:-], refused naming `worker`. */
const validator = new RequestValidator();
const schemas = new EventSchemas();
const batch = (worker: unknown) => ({ worker, metrics: [{ key: 'loss', steps: [0], values: [1] }] });
const LABEL_CHARS = [...'ABCXYZabcxyz0189_.:-'];
const label = (minLength: number, maxLength: number) =>
  fc.array(fc.constantFrom(...LABEL_CHARS), { minLength, maxLength }).map((chars) => chars.join(''));

describe('a metric batch’s worker label', () => {
  it('takes 1 to 64 characters of the label set, at both edges and between, and the event schema takes it too', () => {
    fc.assert(
      fc.property(fc.oneof(label(1, 1), label(64, 64), label(1, 64)), (worker) => {
        expect(validator.validate('LogMetrics', batch(worker)).worker).toBe(worker);
        expect(
          schemas.check('metrics.logged', 1, { runId: 'r1', worker, series: batch(worker).metrics }),
        ).toBeNull();
      }),
    );
  });

  it('refuses the empty label, 65 characters and more, naming worker', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(''), label(65, 65), label(66, 300)), (worker) => {
        expect(() => validator.validate('LogMetrics', batch(worker))).toThrow(
          expect.objectContaining({ field: 'worker' }),
        );
      }),
    );
  });

  it('refuses any character outside the label set, wherever it sits, naming worker', () => {
    const outside = fc
      .string({ unit: 'binary', minLength: 1, maxLength: 1 })
      .filter((char) => !new RegExp(METRIC_WORKER_PATTERN).test(char));
    fc.assert(
      fc.property(label(0, 30), outside, label(0, 30), (before, bad, after) => {
        const worker = `${before}${bad}${after}`;
        expect(() => validator.validate('LogMetrics', batch(worker))).toThrow(
          expect.objectContaining({ field: 'worker' }),
        );
        expect(
          schemas.check('metrics.logged', 1, { runId: 'r1', worker, series: batch(1).metrics }),
        ).not.toBeNull();
      }),
    );
  });

  it('refuses a label that is not a string, naming worker', () => {
    for (const worker of [3, null, ['0'], { rank: 0 }, true]) {
      expect(() => validator.validate('LogMetrics', batch(worker))).toThrow(
        expect.objectContaining({ field: 'worker' }),
      );
    }
  });

  it('leaves it out when absent: a batch of the default worker, and old events, stay valid as they were', () => {
    expect(validator.validate('LogMetrics', { metrics: batch(1).metrics })).not.toHaveProperty('worker');
    expect(schemas.check('metrics.logged', 1, { runId: 'r1', series: batch(1).metrics })).toBeNull();
  });
});
