import fc from 'fast-check';
import { MlflowError } from './mlflow-error';
import { doubleOf, jsonDouble, MlflowFields, offsetOf, offsetToken } from './mlflow-fields';

const query = (value: Record<string, unknown>) => new MlflowFields(value, true);
const body = (value: Record<string, unknown>) => new MlflowFields(value, false);
const messageOf = (run: () => unknown) => {
  try {
    run();
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(MlflowError);
    return (error as MlflowError).message;
  }
};

describe('MLflow request fields', () => {
  it('reads int64 as a JSON number or a numeric string, and refuses anything past a safe integer', () => {
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer()), (n) => {
        expect(body({ step: n }).int64('step')).toBe(n);
        expect(query({ step: String(n) }).int64('step')).toBe(n);
      }),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double().filter((n) => !Number.isSafeInteger(n)),
          fc.constantFrom('1.5', '1e3', 'foo', '', ' ', true, [], {}, String(2 ** 53 + 2)),
        ),
        (value) => {
          const message = messageOf(() => body({ step: value }).int64('step'));
          if (value === '') expect(message).toBeNull();
          else expect(message).toMatch(/Invalid value .* for parameter 'step' supplied/);
        },
      ),
    );
  });

  it('reads doubles as numbers or MLflow\u2019s non-finite strings, and writes them back the same way', () => {
    fc.assert(
      fc.property(fc.double(), (value) => {
        const read = doubleOf('value', jsonDouble(value));
        expect(Object.is(read, value) || (read === 0 && value === 0)).toBe(true);
      }),
    );
    expect(messageOf(() => doubleOf('value', true))).toMatch(/type 'bool'/);
    expect(messageOf(() => doubleOf('value', 'nan'))).toMatch(/type 'str'/);
  });

  it('takes the query\u2019s repeated keys as a list and its last value as a scalar; True and False as bools', () => {
    const fields = query({ experiment_ids: ['1', '2'], run_id: ['a', 'b'], flag: 'True', other: 'false' });
    expect(fields.strings('experiment_ids')).toEqual(['1', '2']);
    expect(fields.string('run_id')).toBe('b');
    expect([fields.bool('flag'), fields.bool('other')]).toEqual([true, false]);
    expect(messageOf(() => body({ experiment_ids: '1' }).strings('experiment_ids'))).toMatch(/type 'str'/);
  });

  it('counts an empty string as missing, with MLflow\u2019s message', () => {
    expect(messageOf(() => body({ run_id: '' }).required('run_id'))).toBe(
      "Missing value for required parameter 'run_id'. See the API docs for more information about request parameters.",
    );
    expect(body({ run_uuid: 'x' }).requiredOneOf('run_id', 'run_uuid')).toBe('x');
  });

  it('round-trips page tokens and refuses forged ones', () => {
    fc.assert(fc.property(fc.nat(), (offset) => expect(offsetOf(offsetToken(offset))).toBe(offset)));
    for (const bad of [
      'x',
      Buffer.from('{"offset":-1}').toString('base64'),
      Buffer.from('[]').toString('base64'),
    ]) {
      expect(messageOf(() => offsetOf(bad))).toMatch(/Invalid page token/);
    }
  });
});
