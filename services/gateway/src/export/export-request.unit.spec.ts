import fc from 'fast-check';
import { ValidationError } from '../../../../libs/domain/src/errors';
import { encodeExportCursor } from './export-cursor';
import {
  DEFAULT_EXPORT_LIMIT,
  MAX_EXPORT_KEYS,
  MAX_EXPORT_LIMIT,
  MAX_EXPORT_RUNS,
  exportQueryOf,
  parseExportRequest,
  type ExportQuery,
} from './export-request';

/** The field a refusal names, or null when the request is taken. */
function refusedField(query: ExportQuery): string | null {
  try {
    parseExportRequest(query);
    return null;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return error.field ?? '(none)';
  }
}

const runIds = (count: number) => Array.from({ length: count }, (_, index) => `run-${index}`);

describe('reading an export request', () => {
  it('takes runs, keys, a step range, a limit and a cursor', () => {
    const cursor = encodeExportCursor({ runId: 'b', key: 'acc', step: '-3', timestamp: '12' });
    const request = parseExportRequest({
      runId: ['a', 'b', 'a'],
      key: ['loss', 'acc'],
      fromStep: '-10',
      toStep: '10',
      limit: '5',
      cursor,
    });
    expect(request).toEqual({
      scope: { runIds: ['a', 'b'], keys: ['loss', 'acc'], fromStep: -10, toStep: 10 },
      from: { runId: 'b', key: 'acc', step: '-3', timestamp: '12' },
      limit: 5,
    });
  });

  it('reads every key, the whole range and a default page when only runs are named', () => {
    expect(parseExportRequest({ runId: 'a' })).toEqual({
      scope: { runIds: ['a'], fromStep: undefined, toStep: undefined },
      from: null,
      limit: DEFAULT_EXPORT_LIMIT,
    });
  });

  it('takes every whole limit from 1 to the maximum and refuses every other, naming limit', () => {
    const taken = fc.integer({ min: 1, max: MAX_EXPORT_LIMIT });
    const refused = fc.oneof(
      fc.integer({ max: 0 }),
      fc.integer({ min: MAX_EXPORT_LIMIT + 1 }),
      fc.constantFrom(0, -1, MAX_EXPORT_LIMIT + 1, 2 ** 53, 1e21),
    );
    fc.assert(
      fc.property(taken, (limit) => {
        expect(parseExportRequest({ runId: 'a', limit: String(limit) }).limit).toBe(limit);
      }),
    );
    fc.assert(
      fc.property(refused, (limit) => refusedField({ runId: 'a', limit: String(limit) }) === 'limit'),
    );
    const notWhole = fc.constantFrom('', ' 5', '5 ', '1.5', '1e3', '0x10', 'NaN', 'Infinity', '+5', '٣');
    fc.assert(fc.property(notWhole, (limit) => refusedField({ runId: 'a', limit }) === 'limit'));
    expect(refusedField({ runId: 'a', limit: ['5', '6'] })).toBe('limit');
  });

  it('takes up to the maximum of runs and keys, and refuses one more', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_EXPORT_RUNS + 50 }), (count) => {
        const field = refusedField({ runId: runIds(count) });
        return count <= MAX_EXPORT_RUNS ? field === null : field === 'runId';
      }),
      { numRuns: 30 },
    );
    expect(refusedField({ runId: runIds(MAX_EXPORT_RUNS) })).toBeNull();
    expect(refusedField({ runId: runIds(MAX_EXPORT_RUNS + 1) })).toBe('runId');
    const keys = Array.from({ length: MAX_EXPORT_KEYS + 1 }, (_, index) => `k${index}`);
    expect(refusedField({ runId: 'a', key: keys.slice(0, MAX_EXPORT_KEYS) })).toBeNull();
    expect(refusedField({ runId: 'a', key: keys })).toBe('key');
  });

  it('takes any step range within the safe integers, in order', () => {
    const step = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
    fc.assert(
      fc.property(step, step, (a, b) => {
        const field = refusedField({ runId: 'a', fromStep: String(a), toStep: String(b) });
        return a <= b ? field === null : field === 'toStep';
      }),
    );
    expect(refusedField({ runId: 'a', fromStep: String(2 ** 53) })).toBe('fromStep');
    expect(refusedField({ runId: 'a', toStep: '1.5' })).toBe('toStep');
  });

  it('reads every parameter of a URL, past the 1,000 that Express keeps', () => {
    const url = (count: number) =>
      `/api/v1/metrics/export?${runIds(count)
        .map((id) => `runId=${id}`)
        .join('&')}&key=a%2Fb`;
    expect(exportQueryOf(url(2))).toEqual({ runId: ['run-0', 'run-1'], key: 'a/b' });
    expect(refusedField(exportQueryOf(url(MAX_EXPORT_RUNS)))).toBeNull();
    expect(refusedField(exportQueryOf(url(MAX_EXPORT_RUNS + 1)))).toBe('runId');
    expect(exportQueryOf('/api/v1/metrics/export')).toEqual({});
  });

  it.each<[string, ExportQuery, string]>([
    ['no run', {}, 'runId'],
    ['an empty run id', { runId: '' }, 'runId'],
    ['a run id with a quote', { runId: "a'b" }, 'runId'],
    ['a run id too long', { runId: 'a'.repeat(65) }, 'runId'],
    ['a run id as an object', { runId: { a: '1' } }, 'runId'],
    ['a key with a space', { runId: 'a', key: 'my loss' }, 'key'],
    ['a key climbing up', { runId: 'a', key: '../loss' }, 'key'],
    ['a key too long', { runId: 'a', key: 'k'.repeat(251) }, 'key'],
    ['an unknown parameter', { runId: 'a', runIds: 'b' }, 'runIds'],
    ['two cursors', { runId: 'a', cursor: ['x', 'y'] }, 'cursor'],
    ['a bad cursor', { runId: 'a', cursor: 'nope!' }, 'cursor'],
    [
      'a cursor of another run',
      { runId: 'a', cursor: encodeExportCursor({ runId: 'b', key: 'k', step: '1', timestamp: '1' }) },
      'cursor',
    ],
    [
      'a cursor of another key',
      {
        runId: 'a',
        key: 'loss',
        cursor: encodeExportCursor({ runId: 'a', key: 'k', step: '1', timestamp: '1' }),
      },
      'cursor',
    ],
  ])('refuses %s, naming the field', (_, query, field) => {
    expect(refusedField(query)).toBe(field);
  });
});
