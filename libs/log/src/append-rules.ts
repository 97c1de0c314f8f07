import type { NewEvent } from '../../events/src/envelope';
import { IdempotencyConflictError, type ExpectedVersion } from './event-log';

/** What every adapter checks of an append before touching storage; null when the append is well-formed. */
export function validateAppend(
  topic: string,
  stream: string,
  events: NewEvent[],
  expectedVersion: ExpectedVersion,
): Error | null {
  if (typeof topic !== 'string' || topic === '') return new TypeError('topic must be a non-empty string');
  if (typeof stream !== 'string' || stream === '') return new TypeError('stream must be a non-empty string');
  if (!Array.isArray(events)) return new TypeError('events must be an array');
  for (const event of events) {
    if (typeof event?.id !== 'string' || event.id === '')
      return new TypeError('every event needs a string id');
  }
  const versionOk =
    expectedVersion === 'any' ||
    expectedVersion === 'no_stream' ||
    (Number.isInteger(expectedVersion) && expectedVersion >= 0);
  return versionOk ? null : new TypeError(`invalid expectedVersion ${String(expectedVersion)}`);
}

/** The optimistic-concurrency rule of the port: `no_stream` is version 0, a number must match exactly. */
export function versionMatches(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 0;
  return expected === actual;
}

/** What a duplicate id must match: the stream it is in, and its request digest when both sides have one. */
export function checkDuplicate(
  event: { id: string; requestDigest?: string },
  stream: string,
  existing: { stream: string; requestDigest?: string | null },
): void {
  if (existing.stream !== stream) {
    throw new IdempotencyConflictError(event.id, `in stream ${existing.stream}, not ${stream}`);
  }
  if (existing.requestDigest && event.requestDigest && existing.requestDigest !== event.requestDigest) {
    throw new IdempotencyConflictError(event.id, 'by a different request');
  }
}
