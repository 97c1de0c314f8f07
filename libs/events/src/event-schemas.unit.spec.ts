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

  it('take names written before the naming rules (they apply to requests), so an old log replays whole', () => {
    expect(
      schemas.check('experiment.created', 1, { experimentId: 'e1', name: ' leading\u0007 ' }),
    ).toBeNull();
    expect(
      schemas.check('run.created', 1, { runId: 'r1', experimentId: 'e1', name: 'tab\there', startTime: 1 }),
    ).toBeNull();
    expect(schemas.check('experiment.renamed', 1, { name: '' })).not.toBeNull();
  });

  it('refuse integers a 64-bit column or JSON cannot hold exactly, which would stall the projection', () => {
    const input = { name: 'd', digest: 'x', source: null, split: null, rows: 1e21, schemaDigest: null };
    expect(schemas.check('run.inputs_logged', 1, { inputs: [input] })).toMatch(/rows/);
    const artifact = { path: 'a', size: 2 ** 60, digest: 'a'.repeat(64), contentType: 'x/y' };
    expect(schemas.check('run.artifact_logged', 1, artifact)).toMatch(/size/);
  });
});
