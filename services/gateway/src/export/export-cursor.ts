import { ValidationError } from '../../../../libs/domain/src/errors';
import type { ExportPosition } from '../../../../libs/store/src';

/**
 * An export cursor names the point the next page starts at (run, key, step, time, worker): keyset paging, so a
 * page is found by the table's order whatever was logged since, and no OFFSET is ever read past. Opaque to
 * clients: base64url of a tagged JSON array, its tag versioning the layout. `m1` cursors (issued before points
 * had a worker) name (run, key, step, time) and are read with the default worker '', the first of that position:
 * the page they start still begins with every point of it.
 */
const TAG = 'm2';
const TAG_WITHOUT_WORKER = 'm1';
const MAX_CURSOR_LENGTH = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const INT64_TEXT = /^-?\d{1,19}$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function encodeExportCursor(position: ExportPosition): string {
  const layout = [TAG, position.runId, position.key, position.step, position.timestamp, position.worker];
  return Buffer.from(JSON.stringify(layout), 'utf8').toString('base64url');
}

/** The position a cursor names; a cursor this server did not issue is refused, naming the `cursor` field. */
export function decodeExportCursor(cursor: string): ExportPosition {
  const refuse = (why: string) => new ValidationError(`"cursor" is not an export cursor: ${why}`, 'cursor');
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor))
    throw refuse('not base64url of at most 2048 characters');
  let layout: unknown;
  try {
    layout = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse('it does not decode');
  }
  const known =
    Array.isArray(layout) &&
    ((layout[0] === TAG && layout.length === 6) || (layout[0] === TAG_WITHOUT_WORKER && layout.length === 5));
  if (!known) throw refuse('unknown layout');
  const [, runId, key, step, timestamp, worker = ''] = layout as unknown[];
  if (typeof runId !== 'string' || typeof key !== 'string' || typeof worker !== 'string')
    throw refuse('run, key and worker must be text');
  if (!isInt64Text(step) || !isInt64Text(timestamp)) throw refuse('step and time must be 64-bit integers');
  return { runId, key, step, timestamp, worker };
}

function isInt64Text(value: unknown): value is string {
  if (typeof value !== 'string' || !INT64_TEXT.test(value)) return false;
  const number = BigInt(value);
  // One spelling per number: a cursor re-encoded from its position is the same cursor.
  return number >= INT64_MIN && number <= INT64_MAX && number.toString() === value;
}
