import fc from 'fast-check';
import { ValidationError } from '../../../../libs/domain/src/errors';
import { decodeExportCursor, encodeExportCursor } from './export-cursor';

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
const position = fc.record({
  runId: fc.string(),
  key: fc.string(),
  step: int64,
  timestamp: int64,
  worker: fc.oneof(fc.constant(''), fc.string()),
});

function refusal(cursor: string): ValidationError | null {
  try {
    decodeExportCursor(cursor);
    return null;
  } catch (error) {
    return error as ValidationError;
  }
}

/** One character changed: mostly no longer a cursor, sometimes another position's. */
const tamper = (cursor: string) =>
  cursor.slice(0, cursor.length >> 1) +
  (cursor[cursor.length >> 1] === 'A' ? 'B' : 'A') +
  cursor.slice((cursor.length >> 1) + 1);

const layout = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('export cursors', () => {
  it('name the position they were made from, whatever its text and numbers', () => {
    fc.assert(
      fc.property(position, (at) => {
        const cursor = encodeExportCursor(at);
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeExportCursor(cursor)).toEqual(at);
      }),
    );
  });

  it('takes any text either as the cursor of a position or as a refusal naming the cursor field', () => {
    const text = fc.oneof(fc.string(), fc.base64String(), position.map(encodeExportCursor).map(tamper));
    fc.assert(
      fc.property(text, (cursor) => {
        const error = refusal(cursor);
        if (error === null) {
          const decoded = decodeExportCursor(cursor);
          expect(decodeExportCursor(encodeExportCursor(decoded))).toEqual(decoded);
        } else {
          expect(error).toBeInstanceOf(ValidationError);
          expect(error.field).toBe('cursor');
        }
      }),
    );
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('{nope').toString('base64url')],
    ['another layout', layout(['m3', 'r', 'k', '1', '2', 'w'])],
    ['too short', layout(['m1', 'r', 'k', '1'])],
    ['a worker in the old layout', layout(['m1', 'r', 'k', '1', '2', 'w'])],
    ['no worker in the new layout', layout(['m2', 'r', 'k', '1', '2'])],
    ['a number for the worker', layout(['m2', 'r', 'k', '1', '2', 7])],
    ['a number for the run', layout(['m2', 1, 'k', '1', '2', ''])],
    ['a step past Int64', layout(['m1', 'r', 'k', '9223372036854775808', '2'])],
    ['a step below Int64', layout(['m1', 'r', 'k', '-9223372036854775809', '2'])],
    ['a fractional step', layout(['m1', 'r', 'k', '1.5', '2'])],
    ['a step spelled twice', layout(['m1', 'r', 'k', '007', '2'])],
    ['a number, not its text', layout(['m1', 'r', 'k', 1, '2'])],
    ['a huge cursor', 'A'.repeat(2049)],
  ])('refuses %s', (_, cursor) => {
    expect(refusal(cursor)?.field).toBe('cursor');
  });

  it('reads a cursor issued before points had a worker as the default worker, the first at its position', () => {
    expect(decodeExportCursor(layout(['m1', 'r', 'k', '-3', '12']))).toEqual({
      runId: 'r',
      key: 'k',
      step: '-3',
      timestamp: '12',
      worker: '',
    });
  });

  it('takes the Int64 edges', () => {
    const edges = {
      runId: 'r',
      key: 'k',
      step: String(-(2n ** 63n)),
      timestamp: String(2n ** 63n - 1n),
      worker: 'rank-0',
    };
    expect(decodeExportCursor(encodeExportCursor(edges))).toEqual(edges);
  });
});
