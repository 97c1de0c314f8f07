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
