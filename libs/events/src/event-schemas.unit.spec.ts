import { EVENT_PAYLOAD_SCHEMAS, EventSchemas } from './event-schemas';
import { CURRENT_VERSIONS } from './upcasters';

const schemas = new EventSchemas();

describe('event payload schemas', () => {
  it('cover every version of every event type, from v1 to the current one', () => {
    const expected = Object.entries(CURRENT_VERSIONS).flatMap(([type, current]) =>
      Array.from({ length: current }, (_, index) => `${type}@${index + 1}`),
    );
    expect(Object.keys(EVENT_PAYLOAD_SCHEMAS).sort()).toEqual(expected.sort());
  });

  it('accept a metric batch with NaN and infinities as strings, and refuse other strings', () => {
    const batch = (values: unknown[]) => ({
      runId: 'r1',
      series: [{ key: 'train/loss', steps: [1, 2, 3], values }],
    });
    expect(schemas.check('metrics.logged', 1, batch([0.5, 'NaN', '-Infinity']))).toBeNull();
    expect(schemas.check('metrics.logged', 1, batch([0.5, 'nan', 1]))).toMatch(
      /metrics.logged@1 payload\/series\/0\/values\/1/,
    );
  });

  it('name the type, version and place of what is wrong', () => {
    expect(schemas.check('run.created', 2, { runId: 'r1' })).toMatch(
      /^run.created@2 payload must have required/,
    );
    expect(schemas.check('run.note_set', 1, { note: 'x', extra: 1 })).toMatch(/additional properties/);
    expect(schemas.check('run.renamed', 7, { name: 'x' })).toBe('no schema for run.renamed@7');
  });

  it.each([
    ['experiment.created', { experimentId: 'e1', name: ' leading space' }],
    ['experiment.renamed', { name: 'bell\u0007' }],
    ['experiment.renamed', { name: '' }],
  ])('refuse a %s whose name breaks the naming rules', (type, payload) => {
    expect(schemas.check(type, 1, payload)).not.toBeNull();
  });
});
