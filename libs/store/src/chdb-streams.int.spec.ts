import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chdbStreamer, type ChdbStreamer, type StreamedQuery } from './chdb-streams';
import { StreamReadersBusyError } from './session-pool';

/**
 * chDB's stream sessions on a real engine: a stream holds its session from its first chunk to its end, so with one
 * session the next streams wait; a waiter that leaves, one past the queue and a close are each answered at once.
 */
const MANY_ROWS: StreamedQuery = {
  sql: 'SELECT number, toString(number) AS text FROM system.numbers LIMIT 3000000',
  params: {},
  format: 'CSVWithNames',
  settings: {},
};

/** How a promise stands once the engine had time to answer a pending query. */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, ms));
  return settled;
}

describe('chDB stream sessions', () => {
  let dir = '';
  let streams: ChdbStreamer;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runlog-chdb-streams-'));
    streams = chdbStreamer(join(dir, 'chdb'), { sessions: 1, maxWaiting: 1 });
  });
  afterEach(() => {
    streams.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('queues a bounded number of streams, drops one whose reader left, and rejects waiters on close', async () => {
    const holder = streams.stream(MANY_ROWS)[Symbol.asyncIterator]();
    expect((await holder.next()).done).toBe(false);

    // Aborted while waiting: rejected at once, its place in the queue freed.
    const leaving = new AbortController();
    const left = streams
      .stream({ ...MANY_ROWS, signal: leaving.signal })
      [Symbol.asyncIterator]()
      .next();
    expect(await settledWithin(left, 50)).toBe(false);
    leaving.abort();
    await expect(left).rejects.toMatchObject({ name: 'AbortError' });

    // One waits; one more than the queue holds is refused.
    const waiting = streams.stream(MANY_ROWS)[Symbol.asyncIterator]().next();
    await expect(streams.stream(MANY_ROWS)[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(
      StreamReadersBusyError,
    );
    expect(await settledWithin(waiting, 50)).toBe(false);

    streams.close();
    await expect(waiting).rejects.toThrow('the store is closed');
    await holder.return?.(undefined);
  });

  it('runs nothing for a reader gone before its turn, and serves the next one', async () => {
    const gone = AbortSignal.abort();
    await expect(
      streams
        .stream({ ...MANY_ROWS, format: 'Parquet', signal: gone })
        [Symbol.asyncIterator]()
        .next(),
    ).rejects.toMatchObject({ name: 'AbortError' });
    const small = { ...MANY_ROWS, sql: 'SELECT 1 AS one' };
    const chunks: Uint8Array[] = [];
    for await (const chunk of streams.stream(small)) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('"one"\n1\n');
  });
});
