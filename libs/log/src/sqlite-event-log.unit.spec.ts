import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyStreamChain } from '../../events/src/envelope';
import {
  event,
  eventLogContract,
  readAll,
  uniqueGroup,
  uniqueStream,
  uniqueTopic,
  waitFor,
} from '../test/event-log.contract';
import { LogBackpressureError, LogConcurrencyError, type LogRecord } from './event-log';
import { SqliteEventLog, type SqliteEventLogConfig } from './sqlite-event-log';

const dirs: string[] = [];

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'runlog-log-'));
  dirs.push(dir);
  return join(dir, 'log.db');
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

eventLogContract('SqliteEventLog', async () => {
  const path = tempPath();
  // A short poll keeps the contract's waits short; in-process appends wake subscriptions without it anyway.
  const log = SqliteEventLog.open({ path, pollIntervalMs: 50 });
  return { log, cleanup: () => log.close() };
});

describe('SqliteEventLog', () => {
  const open: SqliteEventLog[] = [];

  function openLog(config: Partial<SqliteEventLogConfig> & { path: string }): SqliteEventLog {
    const log = SqliteEventLog.open({ pollIntervalMs: 50, ...config });
    open.push(log);
    return log;
  }

  afterEach(async () => {
    await Promise.all(open.splice(0).map((log) => log.close()));
  });

  it('keeps events, streams and group positions across close and reopen', async () => {
    const path = tempPath();
    const topic = uniqueTopic();
    const stream = uniqueStream();
    const groupId = uniqueGroup();
    const first = openLog({ path });
    await first.appendToStream(topic, stream, [event('a'), event('b')]);
    const seen: LogRecord[] = [];
    const subscription = first.subscribe({
      groupId,
      topics: [topic],
      maxBatchRecords: 10,
      eachBatch: async (batch) => {
        seen.push(...batch.records);
      },
    });
    await waitFor(() => seen.length === 2);
    await subscription.stop();
    const before = await first.readStream(stream);
    const end = await first.endOffsets(topic);
    await first.close();

    const second = openLog({ path });
    expect(await second.readStream(stream)).toEqual(before);
    expect(await second.endOffsets(topic)).toEqual(end);
    expect(await second.committedOffsets(groupId, topic)).toEqual(end);
    // The chain continues from the head stored on disk, and an id from before the restart is still known.
    await expect(second.appendToStream(topic, stream, [before.events[0]])).resolves.toMatchObject({
      duplicates: 1,
    });
    await second.appendToStream(topic, stream, [event('c')], { expectedVersion: 2 });
    const after = await second.readStream(stream);
    expect(after.events.map((e) => e.type)).toEqual(['a', 'b', 'c']);
    expect(verifyStreamChain(after.events)).toBeNull();
  });

  it('writes all appends of one event-loop turn in one transaction', async () => {
    const log = openLog({ path: tempPath() });
    const topic = uniqueTopic();
    const before = log.stats().transactions;
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => log.appendToStream(topic, uniqueStream(), [event(`e${i}`)])),
    );
    expect(log.stats().transactions - before).toBe(1);
    expect(log.stats().events).toBe(200);
  });

  it('groups appenders that reach their append after uneven async work', async () => {
    const log = openLog({ path: tempPath() });
    const topic = uniqueTopic();
    const appender = async (i: number): Promise<void> => {
      for (let round = 0; round < 4; round += 1) {
        // Request handling awaits a varying number of steps before it appends; all of them end in the same turn.
        for (let hop = 0; hop < (i * 7 + round) % 13; hop += 1) await Promise.resolve();
        await log.appendToStream(topic, `run:${i}`, [event(`r${round}`)]);
      }
    };
    await Promise.all(Array.from({ length: 50 }, (_, i) => appender(i)));

    expect(log.stats().events).toBe(200);
    expect(log.stats().transactions).toBeLessThanOrEqual(4);
  });

  it('cuts a very large queue into several transactions, in order, yielding between them', async () => {
    const log = openLog({ path: tempPath() });
    const topic = uniqueTopic();
    const stream = uniqueStream();
    const blob = 'x'.repeat(1_000_000);
    const settled: number[] = [];
    let turnsTaken = 0;
    const appends = Array.from({ length: 12 }, (_, i) =>
      log.appendToStream(topic, stream, [event(`e${i}`, { blob })]).then(() => settled.push(turnsTaken)),
    );
    const ticker = setInterval(() => (turnsTaken += 1), 0);
    await Promise.all(appends);
    clearInterval(ticker);

    expect(log.stats().transactions).toBeGreaterThanOrEqual(3);
    const slice = await log.readStream(stream);
    expect(slice.events.map((e) => e.type)).toEqual(Array.from({ length: 12 }, (_, i) => `e${i}`));
    expect(verifyStreamChain(slice.events)).toBeNull();
    // Timers ran between the transactions: the first appends settled before the last ones were written.
    expect(settled[settled.length - 1]).toBeGreaterThan(settled[0]);
  });

  it('rolls back only the append that failed inside a group commit', async () => {
    const log = openLog({ path: tempPath() });
    const topic = uniqueTopic();
    const stream = uniqueStream();
    const results = await Promise.allSettled([
      log.appendToStream(topic, stream, [event('a')], { expectedVersion: 'no_stream' }),
      log.appendToStream(topic, stream, [event('conflict-1'), event('conflict-2')], { expectedVersion: 0 }),
      log.appendToStream(topic, stream, [event('b')], { expectedVersion: 1 }),
      // The first event is written before the second fails to seal: the savepoint must take it back out.
      log.appendToStream(topic, stream, [
        event('written-then-undone'),
        event('not-json', { value: Number.NaN }),
      ]),
      log.appendToStream(topic, stream, [event('c')], { expectedVersion: 2 }),
    ]);

    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(LogConcurrencyError);
    expect(log.stats().transactions).toBe(1);
    const slice = await log.readStream(stream);
    expect(slice.events.map((e) => e.type)).toEqual(['a', 'b', 'c']);
    expect(verifyStreamChain(slice.events)).toBeNull();
  });

  it('rejects at once with LogBackpressureError when the pending bytes would exceed the bound', async () => {
    const log = openLog({ path: tempPath(), maxPendingBytes: 1_000 });
    const topic = uniqueTopic();
    const stream = uniqueStream();
    await expect(
      log.appendToStream(topic, stream, [event('big', { blob: 'x'.repeat(5_000) })]),
    ).rejects.toBeInstanceOf(LogBackpressureError);
    expect(await log.readStream(stream)).toEqual({ version: 0, events: [] });
    expect(await log.endOffsets(topic)).toEqual(new Map([[0, 0]]));
    expect(log.stats().transactions).toBe(0);

    // The bound is on what waits for one commit: later appends are taken again once it is written.
    const payload = { blob: 'x'.repeat(300) };
    const burst = await Promise.allSettled(
      Array.from({ length: 4 }, () => log.appendToStream(topic, stream, [event('small', payload)])),
    );
    expect(burst.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
    const rejected = burst.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    for (const r of rejected) expect(r.reason).toBeInstanceOf(LogBackpressureError);
    await expect(log.appendToStream(topic, stream, [event('small', payload)])).resolves.toBeDefined();
  });

  it('refuses an id that another stream already holds', async () => {
    const log = openLog({ path: tempPath() });
    const topic = uniqueTopic();
    const shared = event('a');
    await log.appendToStream(topic, uniqueStream(), [shared]);
    await expect(log.appendToStream(topic, uniqueStream(), [shared])).rejects.toThrow(
      /already used in stream/,
    );
  });

  it('stamps recordedAt from the configured clock', async () => {
    const log = openLog({ path: tempPath(), now: () => new Date('2030-01-02T03:04:05.000Z') });
    const result = await log.appendToStream(uniqueTopic(), uniqueStream(), [event('a')]);
    expect(result.appended[0].recordedAt).toBe('2030-01-02T03:04:05.000Z');
  });

  it('uses file-wide offsets, and a caught-up group still commits up to the end', async () => {
    const log = openLog({ path: tempPath() });
    const [a, b] = [uniqueTopic(), uniqueTopic()];
    const groupId = uniqueGroup();
    const inA = await log.appendToStream(a, uniqueStream(), [event('a')]);
    const inB = await log.appendToStream(b, uniqueStream(), [event('b')]);
    expect(inB.lastOffset).toBeGreaterThan(inA.lastOffset);
    expect(await log.endOffsets(a)).toEqual(new Map([[0, inB.lastOffset + 1]]));

    const seen: LogRecord[] = [];
    const subscription = log.subscribe({
      groupId,
      topics: [a],
      maxBatchRecords: 10,
      eachBatch: async (batch) => {
        seen.push(...batch.records);
      },
    });
    await waitFor(async () => (await log.committedOffsets(groupId, a)).get(0) === inB.lastOffset + 1);
    // Records of another topic appended later move a's end; the idle loop steps over them.
    const later = await log.appendToStream(b, uniqueStream(), [event('b2')]);
    await waitFor(async () => (await log.committedOffsets(groupId, a)).get(0) === later.lastOffset + 1);
    await subscription.stop();
    expect(seen.map((r) => r.event.type)).toEqual(['a']);
  });

  it('sees appends another connection makes to the same file', async () => {
    const path = tempPath();
    const reader = openLog({ path });
    const writer = openLog({ path });
    const topic = uniqueTopic();
    const stream = uniqueStream();
    const seen: LogRecord[] = [];
    reader.subscribe({
      groupId: uniqueGroup(),
      topics: [topic],
      maxBatchRecords: 100,
      eachBatch: async (batch) => {
        seen.push(...batch.records);
      },
    });
    await Promise.all([
      reader.appendToStream(topic, stream, [event('r1')]),
      writer.appendToStream(topic, stream, [event('w1')]),
    ]);
    await writer.appendToStream(topic, stream, [event('w2')]);
    await reader.appendToStream(topic, stream, [event('r2')]);

    await waitFor(() => seen.length === 4);
    const slice = await writer.readStream(stream);
    expect(slice.version).toBe(4);
    expect(verifyStreamChain(slice.events)).toBeNull();
    expect((await readAll(reader, topic)).map((r) => r.event.id)).toEqual(seen.map((r) => r.event.id));
  });

  it('close() stops idle subscriptions without waiting out their poll', async () => {
    const log = openLog({ path: tempPath(), pollIntervalMs: 60_000 });
    log.subscribe({
      groupId: uniqueGroup(),
      topics: [uniqueTopic()],
      maxBatchRecords: 10,
      eachBatch: async () => {},
    });
    await new Promise((resolve) => setImmediate(resolve));
    const started = Date.now();
    await log.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(() =>
      log.subscribe({
        groupId: uniqueGroup(),
        topics: [uniqueTopic()],
        maxBatchRecords: 1,
        eachBatch: async () => {},
      }),
    ).toThrow(/closed/);
    await expect(log.readStream(uniqueStream())).rejects.toThrow(/closed/);
  });

  it('rejects partitions other than 0 and bad ranges', async () => {
    const log = openLog({ path: tempPath() });
    await expect(log.read(uniqueTopic(), 1, 0, 10)).rejects.toBeInstanceOf(RangeError);
    await expect(log.read(uniqueTopic(), 0, -1, 10)).rejects.toBeInstanceOf(RangeError);
    expect(await log.read(uniqueTopic(), 0, 0, 0)).toEqual([]);
  });
});
