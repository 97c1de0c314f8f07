import { randomUUID } from 'node:crypto';
import { newEventId, verifyStreamChain, type NewEvent } from '../../events/src/envelope';
import {
  IdempotencyConflictError,
  LogConcurrencyError,
  type ConsumedBatch,
  type EventLog,
  type LogRecord,
  type Subscription,
} from '../src/event-log';

export interface ContractLog {
  log: EventLog;
  /** Releases whatever makeLog made; it may find the log already closed by the test. */
  cleanup: () => Promise<void>;
}

/**
 * What every EventLog adapter guarantees. Topics, streams and groups are fresh per test, so an adapter whose
 * backing store is shared between tests (one Kafka cluster) runs the suite as well as a throwaway file does.
 */
export function eventLogContract(name: string, makeLog: () => Promise<ContractLog>): void {
  describe(`EventLog contract: ${name}`, () => {
    let log: EventLog;
    let cleanup: () => Promise<void>;
    const subscriptions: Subscription[] = [];

    beforeEach(async () => {
      ({ log, cleanup } = await makeLog());
    });

    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
      await cleanup();
    });

    function subscribeTracked(options: Parameters<EventLog['subscribe']>[0]): Subscription {
      const subscription = log.subscribe(options);
      subscriptions.push(subscription);
      return subscription;
    }

    describe('appendToStream / readStream', () => {
      it('keeps events of a stream in append order and stamps them into the stream', async () => {
        const topic = uniqueTopic();
        const stream = uniqueStream();
        const first = await log.appendToStream(topic, stream, [event('a'), event('b')]);
        const second = await log.appendToStream(topic, stream, [event('c')]);

        expect(first.nextExpectedVersion).toBe(2);
        expect(first.appended.map((e) => e.type)).toEqual(['a', 'b']);
        expect(second.nextExpectedVersion).toBe(3);
        expect(second.lastOffset).toBeGreaterThan(first.lastOffset);
        const slice = await log.readStream(stream);
        expect(slice.version).toBe(3);
        expect(slice.events.map((e) => e.type)).toEqual(['a', 'b', 'c']);
        expect(slice.events).toEqual([...first.appended, ...second.appended]);
        for (const envelope of slice.events) {
          expect(envelope.stream).toBe(stream);
          expect(typeof envelope.recordedAt).toBe('string');
        }
      });

      it('returns an empty slice for a stream that does not exist', async () => {
        expect(await log.readStream(uniqueStream())).toEqual({ version: 0, events: [] });
      });

      it("accepts 'no_stream' only while the stream is empty", async () => {
        const topic = uniqueTopic();
        const stream = uniqueStream();
        await expect(
          log.appendToStream(topic, stream, [event('a')], { expectedVersion: 'no_stream' }),
        ).resolves.toMatchObject({ nextExpectedVersion: 1 });

        const conflict = log.appendToStream(topic, stream, [event('b')], { expectedVersion: 'no_stream' });
        await expect(conflict).rejects.toBeInstanceOf(LogConcurrencyError);
        await expect(conflict).rejects.toMatchObject({ stream, expected: 'no_stream', actual: 1 });
        expect((await log.readStream(stream)).version).toBe(1);
      });

      it('accepts a numeric expected version only when it is the current version', async () => {
        const topic = uniqueTopic();
        const stream = uniqueStream();
        await log.appendToStream(topic, stream, [event('a'), event('b')], { expectedVersion: 0 });
        await expect(
          log.appendToStream(topic, stream, [event('c')], { expectedVersion: 2 }),
        ).resolves.toMatchObject({ nextExpectedVersion: 3 });

        for (const stale of [0, 2, 4]) {
          const conflict = log.appendToStream(topic, stream, [event('x')], { expectedVersion: stale });
          await expect(conflict).rejects.toBeInstanceOf(LogConcurrencyError);
          await expect(conflict).rejects.toMatchObject({ expected: stale, actual: 3 });
        }
        const slice = await log.readStream(stream);
        expect(slice.events.map((e) => e.type)).toEqual(['a', 'b', 'c']);
        expect(verifyStreamChain(slice.events)).toBeNull();
      });

      it('lets exactly one of several concurrent appends with the same expected version win', async () => {
        const topic = uniqueTopic();
        const stream = uniqueStream();
        await log.appendToStream(topic, stream, [event('seed')]);
        const attempts = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            log.appendToStream(topic, stream, [event(`try-${i}`)], { expectedVersion: 1 }),
          ),
        );

        expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
        for (const attempt of attempts) {
          if (attempt.status === 'rejected') expect(attempt.reason).toBeInstanceOf(LogConcurrencyError);
        }
        expect((await log.readStream(stream)).version).toBe(2);
      });

      it('appends nothing for events whose id it already holds, so a retried append succeeds', async () => {
        const topic = uniqueTopic();
        const stream = uniqueStream();
        const events = [event('a'), event('b')];
        const original = await log.appendToStream(topic, stream, events, { expectedVersion: 'no_stream' });
        const endBefore = await log.endOffsets(topic);

        // The exact retry a client makes after a lost response: same ids, same (now stale) expected version.
        const retry = await log.appendToStream(topic, stream, events, { expectedVersion: 'no_stream' });
        expect(retry).toEqual({
          nextExpectedVersion: 2,
          appended: [],
          duplicates: 2,
          lastOffset: original.lastOffset,
          partition: original.partition,
        });
        expect(await log.endOffsets(topic)).toEqual(endBefore);
        expect((await log.readStream(stream)).events).toEqual(original.appended);
      });

      it('refuses an id it holds for another request or in another stream, and accepts the same request', async () => {
        const topic = uniqueTopic();
        const stream = uniqueStream();
        const original = { ...event('a'), requestDigest: 'd'.repeat(64) };
        await log.appendToStream(topic, stream, [original]);
        const endBefore = await log.endOffsets(topic);

        const retry = await log.appendToStream(topic, stream, [{ ...original }]);
        expect(retry.duplicates).toBe(1);
        await expect(
          log.appendToStream(topic, stream, [{ ...original, requestDigest: 'e'.repeat(64) }]),
        ).rejects.toBeInstanceOf(IdempotencyConflictError);
        await expect(log.appendToStream(topic, uniqueStream(), [{ ...original }])).rejects.toMatchObject({
          code: 'idempotency_conflict',
          field: 'eventId',
        });
        expect(await log.endOffsets(topic)).toEqual(endBefore);
        const [stored] = (await log.readStream(stream)).events;
        expect(stored.requestDigest).toBe(original.requestDigest);
        expect(await log.findEventId(original.id)).toEqual({ stream, requestDigest: original.requestDigest });
        expect(await log.findEventId(newEventId())).toBeNull();
        expect(verifyStreamChain([stored])).toBeNull();
      });

      it('skips the known ids of a partly new append and writes the rest', async () => {
        const topic = uniqueTopic();
        const stream = uniqueStream();
        const a = event('a');
        await log.appendToStream(topic, stream, [a]);
        const result = await log.appendToStream(topic, stream, [a, event('b'), a]);

        expect(result.duplicates).toBe(2);
        expect(result.appended.map((e) => e.type)).toEqual(['b']);
        const slice = await log.readStream(stream);
        expect(slice.events.map((e) => e.type)).toEqual(['a', 'b']);
        expect(verifyStreamChain(slice.events)).toBeNull();
      });

      it('writes a retry racing its original only once', async () => {
        const topic = uniqueTopic();
        const stream = uniqueStream();
        const events = [event('a'), event('b')];
        const results = await Promise.all([
          log.appendToStream(topic, stream, events, { expectedVersion: 'no_stream' }),
          log.appendToStream(topic, stream, events, { expectedVersion: 'no_stream' }),
        ]);

        expect(results.map((r) => r.appended.length).sort()).toEqual([0, 2]);
        expect(results.map((r) => r.nextExpectedVersion)).toEqual([2, 2]);
        expect((await log.readStream(stream)).version).toBe(2);
      });

      it('chains hashes across appends', async () => {
        const topic = uniqueTopic();
        const stream = uniqueStream();
        for (let i = 0; i < 5; i += 1) {
          await log.appendToStream(topic, stream, [event(`e${i}a`), event(`e${i}b`)]);
        }
        const { events } = await log.readStream(stream);

        expect(events).toHaveLength(10);
        expect(events[0].prevHash).toBeNull();
        for (let i = 1; i < events.length; i += 1) expect(events[i].prevHash).toBe(events[i - 1].hash);
        expect(verifyStreamChain(events)).toBeNull();
      });

      it('lands every one of many concurrent appends, in one valid chain per stream', async () => {
        const topic = uniqueTopic();
        const shared = uniqueStream();
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            i % 2 === 0
              ? log.appendToStream(topic, shared, [event(`shared-${i}`)])
              : log.appendToStream(topic, uniqueStream(), [event(`own-${i}`)], {
                  expectedVersion: 'no_stream',
                }),
          ),
        );

        expect(results.every((r) => r.appended.length === 1)).toBe(true);
        const slice = await log.readStream(shared);
        expect(slice.version).toBe(100);
        expect(verifyStreamChain(slice.events)).toBeNull();
        const ids = new Set((await readAll(log, topic)).map((r) => r.event.id));
        for (const result of results) expect(ids.has(result.appended[0].id)).toBe(true);
        expect(ids.size).toBe(200);
      });
    });

    describe('read / endOffsets', () => {
      it('reads a partition from any offset, in order, at most maxRecords', async () => {
        const topic = uniqueTopic();
        const streams = [uniqueStream(), uniqueStream()];
        const appended: string[] = [];
        for (let i = 0; i < 12; i += 1) {
          const result = await log.appendToStream(topic, streams[i % 2], [event(`e${i}`)]);
          appended.push(result.appended[0].id);
        }
        await log.appendToStream(uniqueTopic(), uniqueStream(), [event('elsewhere')]);

        const all = await readAll(log, topic);
        expect(all.map((r) => r.event.id).sort()).toEqual([...appended].sort());
        for (const record of all) {
          expect(record.topic).toBe(topic);
          expect(record.key).toBe(record.event.stream);
        }

        for (const partition of (await log.endOffsets(topic)).keys()) {
          const records = all.filter((r) => r.partition === partition);
          if (records.length < 4) continue;
          const offsets = records.map((r) => r.offset);
          expect([...offsets].sort((x, y) => x - y)).toEqual(offsets);
          expect(new Set(offsets).size).toBe(offsets.length);

          const middle = await log.read(topic, partition, records[2].offset, 3);
          expect(middle).toEqual(records.slice(2, 5));
          // An offset between two records (offsets may be gapped) starts at the next record.
          const afterSecond = await log.read(topic, partition, records[1].offset + 1, 1);
          expect(afterSecond).toEqual([records[2]]);
        }
      });

      it('returns nothing from the end offset on', async () => {
        const topic = uniqueTopic();
        await log.appendToStream(topic, uniqueStream(), [event('a'), event('b')]);
        for (const [partition, end] of await log.endOffsets(topic)) {
          expect(await log.read(topic, partition, end, 100)).toEqual([]);
          expect(await log.read(topic, partition, end + 1000, 100)).toEqual([]);
        }
      });

      it('moves the end offset on append only', async () => {
        const topic = uniqueTopic();
        const stream = uniqueStream();
        const a = event('a');
        const first = await log.appendToStream(topic, stream, [a]);
        const before = await log.endOffsets(topic);
        expect(total(before)).toBeGreaterThan(first.lastOffset);

        await log.readStream(stream);
        await readAll(log, topic);
        await log.committedOffsets(uniqueGroup(), topic);
        await log.appendToStream(topic, stream, [a]); // a known id appends nothing
        expect(await log.endOffsets(topic)).toEqual(before);

        const second = await log.appendToStream(topic, stream, [event('b')]);
        const after = await log.endOffsets(topic);
        expect(total(after)).toBeGreaterThan(total(before));
        expect(Math.max(...after.values())).toBeGreaterThan(second.lastOffset);
      });
    });

    describe('subscribe', () => {
      it('delivers every record once, in order, and resumes from the committed position', async () => {
        const topic = uniqueTopic();
        const groupId = uniqueGroup();
        const streams = [uniqueStream(), uniqueStream(), uniqueStream()];
        const ids: string[] = [];
        for (let i = 0; i < 25; i += 1) {
          ids.push((await log.appendToStream(topic, streams[i % 3], [event(`e${i}`)])).appended[0].id);
        }

        const firstRun = collector();
        const first = subscribeTracked({
          groupId,
          topics: [topic],
          maxBatchRecords: 4,
          eachBatch: firstRun.handle,
        });
        await waitFor(() => firstRun.records.length >= 25);
        // Live records reach a subscription that is already caught up.
        for (let i = 25; i < 30; i += 1) {
          ids.push((await log.appendToStream(topic, streams[i % 3], [event(`e${i}`)])).appended[0].id);
        }
        await waitFor(() => firstRun.records.length >= 30);
        await waitForCaughtUp(log, groupId, topic);
        await first.stop();

        expect(firstRun.records.map((r) => r.event.id).sort()).toEqual([...ids].sort());
        expectOrderedPerPartition(firstRun.records);
        expect(firstRun.batches.every((b) => b.records.length <= 4 && b.topic === topic)).toBe(true);

        const later: string[] = [];
        for (let i = 30; i < 35; i += 1) {
          later.push((await log.appendToStream(topic, streams[i % 3], [event(`e${i}`)])).appended[0].id);
        }
        const secondRun = collector();
        subscribeTracked({ groupId, topics: [topic], maxBatchRecords: 100, eachBatch: secondRun.handle });
        await waitFor(() => secondRun.records.length >= 5);
        await waitForCaughtUp(log, groupId, topic);
        expect(secondRun.records.map((r) => r.event.id).sort()).toEqual([...later].sort());
      });

      it('keeps groups apart and starts a new group at the beginning', async () => {
        const topic = uniqueTopic();
        for (let i = 0; i < 6; i += 1) await log.appendToStream(topic, uniqueStream(), [event(`e${i}`)]);
        const one = collector();
        const two = collector();
        subscribeTracked({
          groupId: uniqueGroup(),
          topics: [topic],
          maxBatchRecords: 2,
          eachBatch: one.handle,
        });
        subscribeTracked({
          groupId: uniqueGroup(),
          topics: [topic],
          maxBatchRecords: 5,
          eachBatch: two.handle,
        });
        await waitFor(() => one.records.length >= 6 && two.records.length >= 6);
        await sleep(100);
        expect(one.records).toHaveLength(6);
        expect(two.records).toHaveLength(6);
      });

      it('delivers the batch whose handler failed again instead of skipping it', async () => {
        const topic = uniqueTopic();
        const groupId = uniqueGroup();
        const ids: string[] = [];
        for (let i = 0; i < 6; i += 1) {
          ids.push((await log.appendToStream(topic, uniqueStream(), [event(`e${i}`)])).appended[0].id);
        }
        const errors: unknown[] = [];
        const delivered: ConsumedBatch[] = [];
        let failed = false;
        subscribeTracked({
          groupId,
          topics: [topic],
          maxBatchRecords: 2,
          eachBatch: async (batch) => {
            delivered.push(batch);
            if (delivered.length === 2 && !failed) {
              failed = true;
              throw new Error('projection store unavailable');
            }
          },
          onError: (error) => errors.push(error),
        });
        await waitForCaughtUp(log, groupId, topic, 15_000);

        expect(errors).toHaveLength(1);
        // Order is promised per partition only: batches of other partitions may be handled in between, so the
        // redelivery is the next batch of the failed batch's partition (with one partition, delivered[2]).
        const failedBatch = delivered[1];
        const redelivery = delivered
          .slice(2)
          .find((batch) => batch.topic === failedBatch.topic && batch.partition === failedBatch.partition);
        expect(redelivery?.records[0]).toEqual(failedBatch.records[0]);
        // Across the batches that succeeded, every record was handled exactly once.
        const handled = delivered
          .filter((batch) => batch !== failedBatch)
          .flatMap((batch) => batch.records.map((r) => r.event.id));
        expect(handled.sort()).toEqual([...ids].sort());
      }, 20_000);

      it('leaves the position before a failed batch when the subscription stops after the failure', async () => {
        const topic = uniqueTopic();
        const groupId = uniqueGroup();
        const ids: string[] = [];
        for (let i = 0; i < 4; i += 1) {
          ids.push((await log.appendToStream(topic, uniqueStream(), [event(`e${i}`)])).appended[0].id);
        }
        // A process that dies right after its handler failed: nothing past the failed batch may be committed.
        let failedBatch: ConsumedBatch | undefined;
        const crashed = subscribeTracked({
          groupId,
          topics: [topic],
          maxBatchRecords: 10,
          eachBatch: async (batch) => {
            failedBatch ??= batch;
            throw new Error('projection store unavailable');
          },
        });
        await waitFor(() => failedBatch !== undefined);
        await crashed.stop();

        const restarted = collector();
        subscribeTracked({ groupId, topics: [topic], maxBatchRecords: 10, eachBatch: restarted.handle });
        await waitForCaughtUp(log, groupId, topic);
        const again = new Set(restarted.records.map((r) => r.event.id));
        for (const record of failedBatch?.records ?? []) expect(again.has(record.event.id)).toBe(true);
        expect([...again].sort()).toEqual([...ids].sort());
      });

      it('stop() waits for the batch in hand and commits it', async () => {
        const topic = uniqueTopic();
        const groupId = uniqueGroup();
        const ids: string[] = [];
        for (let i = 0; i < 3; i += 1) {
          ids.push((await log.appendToStream(topic, uniqueStream(), [event(`e${i}`)])).appended[0].id);
        }
        let release: () => void = () => undefined;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let started = false;
        let finished = false;
        const handled: LogRecord[] = [];
        let inHand: ConsumedBatch | undefined;
        const subscription = subscribeTracked({
          groupId,
          topics: [topic],
          maxBatchRecords: 10,
          eachBatch: async (batch) => {
            inHand ??= batch;
            started = true;
            await gate;
            handled.push(...batch.records);
            finished = true;
          },
        });
        await waitFor(() => started);
        // The position does not move past a batch whose handler has not resolved yet. Measured now, asserted
        // once the gate is open: a failed expectation here would leave the handler (and afterEach) waiting forever.
        const first = inHand?.records[0];
        const during = await log.committedOffsets(groupId, topic);

        let stopped = false;
        const stopping = subscription.stop().then(() => (stopped = true));
        await sleep(50);
        expect(stopped).toBe(false);
        release();
        await stopping;
        expect(finished).toBe(true);
        expect(first).toBeDefined();
        if (first) expect(during.get(first.partition) ?? 0).toBeLessThanOrEqual(first.offset);
        // Everything handled before stop() returned is committed. With several partitions that may not be every
        // record (the batch in hand holds one partition's); a restart of the group delivers exactly the rest.
        const committed = await log.committedOffsets(groupId, topic);
        for (const record of handled) {
          expect(committed.get(record.partition) ?? 0).toBeGreaterThan(record.offset);
        }
        const rest = collector();
        subscribeTracked({ groupId, topics: [topic], maxBatchRecords: 10, eachBatch: rest.handle });
        await waitForCaughtUp(log, groupId, topic);
        await waitFor(() => handled.length + rest.records.length >= ids.length);
        await sleep(100);
        const all = [...handled, ...rest.records].map((r) => r.event.id);
        expect(all.sort()).toEqual([...ids].sort());
      });

      it("counts as pending the topic's records the group has not committed, and no other topic's", async () => {
        const [topic, other, groupId] = [uniqueTopic(), uniqueTopic(), uniqueGroup()];
        for (let i = 0; i < 5; i++) await log.appendToStream(topic, uniqueStream(), [event(`t${i}`)]);
        for (let i = 0; i < 7; i++) await log.appendToStream(other, uniqueStream(), [event(`o${i}`)]);
        expect(await log.pendingRecords(groupId, topic)).toBe(5);
        expect(await log.pendingRecords(groupId, topic, 2)).toBe(2);
        const seen = collector();
        subscribeTracked({ groupId, topics: [topic], maxBatchRecords: 2, eachBatch: seen.handle });
        await waitForCaughtUp(log, groupId, topic);
        expect(await log.pendingRecords(groupId, topic)).toBe(0);
        // Appends to another topic leave this one's position where it was: nothing of this topic is pending.
        for (let i = 0; i < 3; i++) await log.appendToStream(other, uniqueStream(), [event(`p${i}`)]);
        expect(await log.pendingRecords(groupId, topic)).toBe(0);
        await log.appendToStream(topic, uniqueStream(), [event('late')]);
        await waitFor(async () => (await log.pendingRecords(groupId, topic)) === 0);
        expect(seen.records).toHaveLength(6);
      });

      it('reports 0 as the committed offset of a group that committed nothing', async () => {
        const committed = await log.committedOffsets(uniqueGroup(), uniqueTopic());
        expect([...committed.values()].every((offset) => offset === 0)).toBe(true);
      });
    });

    describe('close', () => {
      it('rejects appends once closed, and may be called twice', async () => {
        const topic = uniqueTopic();
        await log.appendToStream(topic, uniqueStream(), [event('a')]);
        await log.close();
        await log.close();
        await expect(log.appendToStream(topic, uniqueStream(), [event('b')])).rejects.toThrow();
      });

      it('settles appends still waiting for their commit', async () => {
        const topic = uniqueTopic();
        const stream = uniqueStream();
        const pending = log.appendToStream(topic, stream, [event('a')]);
        await log.close();
        await expect(pending).resolves.toMatchObject({ nextExpectedVersion: 1 });
      });
    });
  });
}

/** A new event of a given type; tests read the type back to check order. */
export function event(type: string, payload: unknown = { at: type }): NewEvent {
  return {
    id: newEventId(),
    type,
    v: 1,
    workspace: 'ws-test',
    actor: 'contract',
    occurredAt: new Date().toISOString(),
    payload,
  };
}

export function uniqueTopic(): string {
  return `runlog.test.${randomUUID()}`;
}

export function uniqueStream(): string {
  return `run:${randomUUID()}`;
}

export function uniqueGroup(): string {
  return `group-${randomUUID()}`;
}

export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every record of a topic, partition by partition, up to the end offsets seen at the start. */
export async function readAll(log: EventLog, topic: string): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  for (const [partition, end] of await log.endOffsets(topic)) {
    let from = 0;
    while (from < end) {
      const page = await log.read(topic, partition, from, 7);
      if (page.length === 0) break;
      records.push(...page);
      from = page[page.length - 1].offset + 1;
    }
  }
  return records;
}

/** A group is caught up when its committed position is the end of every partition, as in Kafka. */
async function waitForCaughtUp(
  log: EventLog,
  groupId: string,
  topic: string,
  timeoutMs = 10_000,
): Promise<void> {
  await waitFor(async () => {
    const [ends, committed] = await Promise.all([
      log.endOffsets(topic),
      log.committedOffsets(groupId, topic),
    ]);
    return [...ends].every(([partition, end]) => (committed.get(partition) ?? 0) >= end);
  }, timeoutMs);
}

function collector(): {
  records: LogRecord[];
  batches: ConsumedBatch[];
  handle: (b: ConsumedBatch) => Promise<void>;
} {
  const records: LogRecord[] = [];
  const batches: ConsumedBatch[] = [];
  return {
    records,
    batches,
    handle: async (batch) => {
      batches.push(batch);
      records.push(...batch.records);
    },
  };
}

function expectOrderedPerPartition(records: LogRecord[]): void {
  const last = new Map<number, number>();
  for (const record of records) {
    expect(record.offset).toBeGreaterThan(last.get(record.partition) ?? -1);
    last.set(record.partition, record.offset);
  }
}

function total(offsets: Map<number, number>): number {
  return [...offsets.values()].reduce((sum, offset) => sum + offset, 0);
}
