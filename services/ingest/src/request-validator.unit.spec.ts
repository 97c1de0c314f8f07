import { RequestValidator } from './request-validator';

const validator = new RequestValidator();

describe('request naming rules', () => {
  it.each([
    ['CreateExperiment', { name: ' leading space' }],
    ['CreateExperiment', { name: 'trailing space ' }],
    ['RenameExperiment', { name: 'bell\u0007' }],
    ['RenameExperiment', { name: '' }],
    ['RenameRun', { name: 'line\nbreak' }],
  ] as const)('%s refuses %j, naming the field', (schema, body) => {
    expect(() => validator.validate(schema, body)).toThrow(expect.objectContaining({ field: 'name' }));
  });

  it('takes names with inner spaces and any script', () => {
    expect(validator.validate('CreateExperiment', { name: 'ResNet 50 — ablations, 東京' })).toBeTruthy();
  });

  it('refuses an input row count past 2^53', () => {
    expect(() =>
      validator.validate('LogInputs', { inputs: [{ name: 'd', digest: 'x', rows: 1e21 }] }),
    ).toThrow(expect.objectContaining({ field: 'inputs[0].rows' }));
  });
});

describe('what is accepted is what can be stored (libs/events/src/storable.ts)', () => {
  const uuid = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

  it('normalizes the eventId, so every spelling of one UUID is one id and ids defaulting to it are addressable', () => {
    for (const spelled of [uuid, uuid.toUpperCase(), `urn:uuid:${uuid}`, `URN:UUID:${uuid.toUpperCase()}`]) {
      expect(validator.validate('CreateExperiment', { name: 'e', eventId: spelled }).eventId).toBe(uuid);
    }
  });

  it('refuses an occurredAt JavaScript cannot read or ClickHouse cannot hold, naming it', () => {
    for (const occurredAt of ['2016-12-31T23:59:60Z', '1899-12-31T23:59:59Z', '2300-01-01T00:00:00Z']) {
      expect(() => validator.validate('FinishRun', { occurredAt })).toThrow(
        expect.objectContaining({ field: 'occurredAt' }),
      );
    }
    expect(validator.validate('FinishRun', { occurredAt: '2299-12-31T23:59:59.999Z' })).toBeTruthy();
  });

  it('refuses metric timestamps past 2299 (the schema allowed 9999, which stopped the projector)', () => {
    const body = (timestamp: number) => ({
      metrics: [{ key: 'l', steps: [0], values: [1], timestamps: [timestamp] }],
    });
    expect(validator.validate('LogMetrics', body(0))).toBeTruthy();
    expect(validator.validate('LogMetrics', body(10413791999999))).toBeTruthy();
    expect(() => validator.validate('LogMetrics', body(10413792000000))).toThrow(
      expect.objectContaining({ field: 'metrics[0].timestamps[0]' }),
    );
  });

  it('refuses a number out of range, a lone surrogate and deep nesting before the schemas, naming the field', () => {
    const sweep = (searchSpace: unknown) => ({ experimentId: 'e', searchSpace });
    expect(() =>
      validator.validate(
        'CreateSweep',
        JSON.parse('{"experimentId":"e","searchSpace":{"lr":{"max":1e400}}}'),
      ),
    ).toThrow(expect.objectContaining({ field: 'searchSpace.lr.max' }));
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i++) deep = { a: deep };
    expect(() => validator.validate('CreateSweep', sweep({ lr: deep }))).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/nested deeper/) }),
    );
    expect(() =>
      validator.validate('RegisterArtifact', {
        path: 'a\ud800',
        digest: 'a'.repeat(64),
        size: 1,
        contentType: 'x',
      }),
    ).toThrow(expect.objectContaining({ field: 'path' }));
    expect(() => validator.validate('SetTags', { tags: { a: 'b\udfff' } })).toThrow(
      expect.objectContaining({ field: 'tags.a' }),
    );
  });
});
