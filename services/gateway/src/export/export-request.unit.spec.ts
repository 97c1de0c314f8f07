import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { ValidationError } from '../../../../libs/domain/src/errors';
import { encodeExportCursor } from './export-cursor';
import {
  DEFAULT_EXPORT_LIMIT,
  MAX_EXPORT_KEYS,
  MAX_EXPORT_LIMIT,
  MAX_EXPORT_RUNS,
  exportQueryOf,
  parseExportBody,
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
    const cursor = encodeExportCursor({
      runId: 'b',
      key: 'acc',
      step: '-3',
      timestamp: '12',
      worker: 'rank-1',
    });
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
      from: { runId: 'b', key: 'acc', step: '-3', timestamp: '12', worker: 'rank-1' },
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
    ['a key with a character outside the key rule', { runId: 'a', key: 'my|loss' }, 'key'],
    ['a key climbing up', { runId: 'a', key: '../loss' }, 'key'],
    ['a key too long', { runId: 'a', key: 'k'.repeat(251) }, 'key'],
    ['an unknown parameter', { runId: 'a', runIds: 'b' }, 'runIds'],
    ['two cursors', { runId: 'a', cursor: ['x', 'y'] }, 'cursor'],
    ['a bad cursor', { runId: 'a', cursor: 'nope!' }, 'cursor'],
    [
      'a cursor of another run',
      {
        runId: 'a',
        cursor: encodeExportCursor({ runId: 'b', key: 'k', step: '1', timestamp: '1', worker: '' }),
      },
      'cursor',
    ],
    [
      'a cursor of another key',
      {
        runId: 'a',
        key: 'loss',
        cursor: encodeExportCursor({ runId: 'a', key: 'k', step: '1', timestamp: '1', worker: '' }),
      },
      'cursor',
    ],
  ])('refuses %s, naming the field', (_, query, field) => {
    expect(refusedField(query)).toBe(field);
  });
});

/** The field a refusal of a JSON body names, or null when the body is taken. */
function refusedBodyField(body: unknown): string | null {
  try {
    parseExportBody(body);
    return null;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return error.field ?? '(none)';
  }
}

const uuids = (count: number) => Array.from({ length: count }, () => randomUUID());

describe('reading an export request from a JSON body', () => {
  it('takes the query string’s request as fields, numbers as JSON numbers', () => {
    const cursor = encodeExportCursor({ runId: 'b', key: 'acc', step: '-3', timestamp: '12', worker: '' });
    const body = {
      runIds: ['a', 'b', 'a'],
      keys: ['loss', 'acc'],
      fromStep: -10,
      toStep: 10,
      limit: 5,
      cursor,
    };
    expect(parseExportBody(body)).toEqual(
      parseExportRequest({
        runId: ['a', 'b'],
        key: ['loss', 'acc'],
        fromStep: '-10',
        toStep: '10',
        limit: '5',
        cursor,
      }),
    );
    expect(parseExportBody({ runIds: ['a'] })).toEqual(parseExportRequest({ runId: 'a' }));
  });

  it('takes 1,000 run ids of a UUID’s length, past what a URL carries, and refuses one more', () => {
    const ids = uuids(MAX_EXPORT_RUNS + 1);
    expect(parseExportBody({ runIds: ids.slice(0, MAX_EXPORT_RUNS) }).scope.runIds).toHaveLength(
      MAX_EXPORT_RUNS,
    );
    expect(refusedBodyField({ runIds: ids })).toBe('runIds');
    // The same runs as query parameters: a request line of ~43 KB, past Node's 16 KiB for the line and headers.
    const query = ids
      .slice(0, MAX_EXPORT_RUNS)
      .map((id) => `runId=${id}`)
      .join('&');
    expect(query.length).toBeGreaterThan(16 * 1024);
  });

  it('takes every whole limit from 1 to the maximum as a number and refuses the rest, naming limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_EXPORT_LIMIT }), (limit) => {
        expect(parseExportBody({ runIds: ['a'], limit }).limit).toBe(limit);
      }),
    );
    for (const limit of [0, -1, MAX_EXPORT_LIMIT + 1, 1.5, '5', null, [5], NaN, 2 ** 53])
      expect(refusedBodyField({ runIds: ['a'], limit })).toBe('limit');
  });

  it.each<[string, unknown, string]>([
    ['no body', undefined, 'body'],
    ['an array', [{ runIds: ['a'] }], 'body'],
    ['text', 'runIds=a', 'body'],
    ['no run', {}, 'runIds'],
    ['no run in the list', { runIds: [] }, 'runIds'],
    ['one run id, not a list', { runIds: 'a' }, 'runIds'],
    ['a number for a run id', { runIds: [1] }, 'runIds'],
    ['a run id with a quote', { runIds: ["a'b"] }, 'runIds'],
    ['a key with a character outside the key rule', { runIds: ['a'], keys: ['my|loss'] }, 'keys'],
    ['one key, not a list', { runIds: ['a'], keys: 'loss' }, 'keys'],
    [
      'too many keys',
      { runIds: ['a'], keys: Array.from({ length: MAX_EXPORT_KEYS + 1 }, (_, i) => `k${i}`) },
      'keys',
    ],
    ['a step as text', { runIds: ['a'], fromStep: '1' }, 'fromStep'],
    ['a step past the safe integers', { runIds: ['a'], toStep: 2 ** 53 }, 'toStep'],
    ['steps out of order', { runIds: ['a'], fromStep: 5, toStep: 4 }, 'toStep'],
    ['a cursor as a number', { runIds: ['a'], cursor: 5 }, 'cursor'],
    ['a bad cursor', { runIds: ['a'], cursor: 'nope!' }, 'cursor'],
    [
      'a cursor of another run',
      {
        runIds: ['a'],
        cursor: encodeExportCursor({ runId: 'b', key: 'k', step: '1', timestamp: '1', worker: '' }),
      },
      'cursor',
    ],
    ['an unknown field', { runIds: ['a'], runId: 'b' }, 'runId'],
  ])('refuses %s, naming the field', (_, body, field) => {
    expect(refusedBodyField(body)).toBe(field);
  });
});
