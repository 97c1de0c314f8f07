import { AsyncLocalStorage } from 'node:async_hooks';
import { TOPICS } from '../../events/src/envelope';

/** The topics a write can land in: a token naming any other is not one an answer gave (and must not make a reader touch it). */
const WRITTEN_TOPICS: ReadonlySet<string> = new Set<string>(Object.values(TOPICS));

/** Where an acknowledged write sits in the log: a reader waits until the projection has passed it. */
export interface WritePosition {
  topic: string;
  partition: number;
  offset: number;
}

const MAX_POSITIONS = 16;

/** The header an ingest answer carries its token in, and a GraphQL request sends it back in. */
export const CONSISTENCY_TOKEN_HEADER = 'x-runlog-consistency-token';

/**
 * The positions of a request's writes as one opaque text (base64url JSON), the latest per topic partition: what an
 * ingest answer carries as `consistencyToken` and a GraphQL request sends back in `x-runlog-consistency-token`.
 */
export function encodeConsistencyToken(positions: readonly WritePosition[]): string {
  const compact = latestPerPartition(positions).map(({ topic, partition, offset }) => [
    topic,
    partition,
    offset,
  ]);
  return Buffer.from(JSON.stringify(compact)).toString('base64url');
}

function latestPerPartition(positions: readonly WritePosition[]): WritePosition[] {
  const latest = new Map<string, WritePosition>();
  for (const position of positions) {
    const key = `${position.topic}\u0000${position.partition}`;
    const seen = latest.get(key);
    if (!seen || seen.offset < position.offset) latest.set(key, position);
  }
  return [...latest.values()];
}

export class InvalidConsistencyTokenError extends Error {
  readonly code = 'invalid_consistency_token';
}

export function decodeConsistencyToken(token: string): WritePosition[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidConsistencyTokenError('not a consistency token an ingest answer gave');
  }
  const valid =
    Array.isArray(parsed) &&
    parsed.length <= MAX_POSITIONS &&
    parsed.every(
      (entry) =>
        Array.isArray(entry) &&
        entry.length === 3 &&
        typeof entry[0] === 'string' &&
        WRITTEN_TOPICS.has(entry[0]) &&
        Number.isSafeInteger(entry[1]) &&
        entry[1] >= 0 &&
        Number.isSafeInteger(entry[2]) &&
        entry[2] >= 0,
    );
  if (!valid) throw new InvalidConsistencyTokenError('not a consistency token an ingest answer gave');
  return (parsed as [string, number, number][]).map(([topic, partition, offset]) => ({
    topic,
    partition,
    offset,
  }));
}

/** Tokens in one header: a client that wrote through several requests (a run's lifecycle and metrics) sends each. */
export const MAX_TOKENS_PER_HEADER = 16;

/**
 * Every position of a header's comma-separated tokens (a header sent twice arrives joined by commas too), the
 * latest per topic partition: a read waits for all of them.
 */
export function decodeConsistencyHeader(header: string): WritePosition[] {
  const tokens = header
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
  if (tokens.length === 0) throw new InvalidConsistencyTokenError('no consistency token in the header');
  if (tokens.length > MAX_TOKENS_PER_HEADER) {
    throw new InvalidConsistencyTokenError(`at most ${MAX_TOKENS_PER_HEADER} tokens, comma-separated`);
  }
  return latestPerPartition(tokens.flatMap(decodeConsistencyToken));
}

/** The positions written while one request is handled (set up per request; none outside one). */
const requestWrites = new AsyncLocalStorage<WritePosition[]>();

export function withWriteRecording<T>(positions: WritePosition[], run: () => T): T {
  return requestWrites.run(positions, run);
}

export function recordWrite(position: WritePosition): void {
  if (position.offset >= 0) requestWrites.getStore()?.push(position);
}
