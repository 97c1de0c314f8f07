import { randomUUID } from 'node:crypto';
import {
  canonicalJson,
  hashEnvelope,
  requestDigest,
  isUuid,
  isUuidV7,
  newEventId,
  sealEvent,
  verifyStreamChain,
  type EventEnvelope,
  type NewEvent,
} from './envelope';

const stream = 'run:run-1';
const recordedAt = '2025-03-01T12:00:00.500Z';
const eventId = newEventId();

const paramsLogged = (params: Record<string, string> = { lr: '0.01', optimizer: 'adam' }): NewEvent => ({
  id: eventId,
  type: 'run.params_logged',
  v: 1,
  workspace: 'ws-1',
  actor: 'user:ada',
  occurredAt: '2025-03-01T12:00:00.000Z',
  payload: { params },
});

/** Seals events one after another into one stream, as the log does on append. */
function sealChain(events: NewEvent[]): EventEnvelope[] {
  const sealed: EventEnvelope[] = [];
  for (const event of events) sealed.push(sealEvent(event, stream, sealed.at(-1)?.hash ?? null, recordedAt));
  return sealed;
}

const threeEvents = (): NewEvent[] => [
  { ...paramsLogged({ lr: '0.01' }), id: newEventId() },
  { ...paramsLogged({ optimizer: 'adam' }), id: newEventId() },
  { ...paramsLogged({ batch_size: '64' }), id: newEventId() },
];

describe('sealEvent and hashEnvelope', () => {
  it('stamps stream, recordedAt and prevHash, and hashes everything else with sha256', () => {
    const sealed = sealEvent(paramsLogged(), stream, null, recordedAt);
    const { hash, ...unsealed } = sealed;

    expect(unsealed).toEqual({ ...paramsLogged(), stream, recordedAt, prevHash: null });
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(hashEnvelope(unsealed));
  });

  it('is deterministic: the same event in the same place always gets the same hash', () => {
    const first = sealEvent(paramsLogged(), stream, null, recordedAt);
    const second = sealEvent(paramsLogged(), stream, null, recordedAt);
    expect(second).toEqual(first);
  });

  it('does not depend on key order, at the top level or inside the payload', () => {
    const event = paramsLogged({ lr: '0.01', optimizer: 'adam' });
    const reordered: NewEvent = {
      payload: { params: { optimizer: 'adam', lr: '0.01' } },
      occurredAt: event.occurredAt,
      actor: event.actor,
      workspace: event.workspace,
      v: event.v,
      type: event.type,
      id: event.id,
    };
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(event));

    expect(sealEvent(reordered, stream, null, recordedAt).hash).toBe(
      sealEvent(event, stream, null, recordedAt).hash,
    );
    expect(canonicalJson(reordered)).toBe(canonicalJson(event));
  });

  it.each([
    { change: 'payload', event: paramsLogged({ lr: '0.02', optimizer: 'adam' }), at: stream, prevHash: null },
    { change: 'actor', event: { ...paramsLogged(), actor: 'user:bob' }, at: stream, prevHash: null },
    { change: 'schema version', event: { ...paramsLogged(), v: 2 }, at: stream, prevHash: null },
    { change: 'stream', event: paramsLogged(), at: 'run:run-2', prevHash: null },
    { change: 'prevHash', event: paramsLogged(), at: stream, prevHash: 'a'.repeat(64) },
  ])('changes when the $change changes', ({ event, at, prevHash }) => {
    const original = sealEvent(paramsLogged(), stream, null, recordedAt).hash;
    expect(sealEvent(event, at, prevHash, recordedAt).hash).not.toBe(original);
  });

  it('survives the JSON round trip the log stores it through, absent optional fields included', () => {
    const metrics: NewEvent = {
      ...paramsLogged(),
      type: 'metrics.logged',
      payload: {
        runId: 'run-1',
        series: [{ key: 'loss', steps: [0, 1], values: [0.5, 0.25], timestamps: undefined }],
      },
    };
    const stored = JSON.parse(JSON.stringify(sealChain([metrics, paramsLogged()]))) as EventEnvelope[];
    expect(verifyStreamChain(stored)).toBeNull();
  });

  it('refuses a value JSON cannot carry (a NaN metric) instead of hashing what the log cannot store', () => {
    const diverged: NewEvent = {
      ...paramsLogged(),
      type: 'metrics.logged',
      payload: { runId: 'run-1', series: [{ key: 'loss', steps: [0], values: [Number.NaN] }] },
    };
    expect(() => sealEvent(diverged, stream, null, recordedAt)).toThrow();
  });

  it('re-sealing a stored envelope (an import) hashes only the new envelope, not the old bookkeeping', () => {
    const [imported] = sealChain([paramsLogged()]);
    const resealed = sealEvent(imported as EventEnvelope, 'run:run-imported', null, recordedAt);
    expect(resealed.stream).toBe('run:run-imported');
    expect(verifyStreamChain([resealed])).toBeNull();
  });
});

describe('verifyStreamChain', () => {
  it('accepts an empty stream and an intact chain', () => {
    expect(verifyStreamChain([])).toBeNull();
    expect(verifyStreamChain(sealChain(threeEvents()))).toBeNull();
  });

  it('links each event to the previous hash, starting from null', () => {
    const [first, second, third] = sealChain(threeEvents());
    expect(first?.prevHash).toBeNull();
    expect(second?.prevHash).toBe(first?.hash);
    expect(third?.prevHash).toBe(second?.hash);
  });

  it('detects a tampered payload where it happened', () => {
    const chain = sealChain(threeEvents());
    const tampered = chain.map((event, index) =>
      index === 1 ? { ...event, payload: { params: { optimizer: 'sgd' } } } : event,
    );
    expect(verifyStreamChain(tampered)).toEqual({ index: 1, id: chain[1]?.id, reason: 'hash_mismatch' });
  });

  it('detects a tampered payload whose hash was recomputed, at the next link', () => {
    const events = threeEvents();
    const chain = sealChain(events);
    const forged = { ...(events[1] as NewEvent), payload: { params: { optimizer: 'sgd' } } };
    const rewritten = chain.map((event, index) =>
      index === 1 ? sealEvent(forged, stream, event.prevHash, recordedAt) : event,
    );
    expect(verifyStreamChain(rewritten.slice(0, 2))).toBeNull();
    expect(verifyStreamChain(rewritten)).toEqual({
      index: 2,
      id: chain[2]?.id,
      reason: 'prev_hash_mismatch',
    });
  });

  it('detects a broken prevHash link even when the event hashes correctly on its own', () => {
    const events = threeEvents();
    const [first, second] = sealChain(events);
    const misLinked = sealEvent(events[2] as NewEvent, stream, first?.hash ?? null, recordedAt);
    expect(verifyStreamChain([first, second, misLinked] as EventEnvelope[])).toEqual({
      index: 2,
      id: misLinked.id,
      reason: 'prev_hash_mismatch',
    });
  });

  it('detects a deleted event, reordered events and a stream read from the middle', () => {
    const [first, second, third] = sealChain(threeEvents()) as [EventEnvelope, EventEnvelope, EventEnvelope];
    expect(verifyStreamChain([first, third])).toMatchObject({ index: 1, reason: 'prev_hash_mismatch' });
    expect(verifyStreamChain([first, third, second])).toMatchObject({
      index: 1,
      reason: 'prev_hash_mismatch',
    });
    expect(verifyStreamChain([second, third])).toMatchObject({ index: 0, reason: 'prev_hash_mismatch' });
  });
});

describe('newEventId', () => {
  /** The first 48 bits of a UUIDv7 are its Unix time in milliseconds. */
  const embeddedMillis = (id: string): number => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

  afterEach(() => jest.useRealTimers());

  it('makes UUIDv7 ids, which isUuidV7 tells apart from other UUIDs', () => {
    const id = newEventId();
    expect(isUuidV7(id)).toBe(true);
    expect(isUuid(id)).toBe(true);

    const v4 = randomUUID();
    expect(isUuid(v4)).toBe(true);
    expect(isUuidV7(v4)).toBe(false);
    expect(isUuid('run-1')).toBe(false);
    expect(isUuidV7('run-1')).toBe(false);
  });

  it('makes ids that sort in the order they were made, even within one millisecond', () => {
    const ids = Array.from({ length: 2_000 }, () => newEventId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('carries the time it was made, so ids made later sort later', () => {
    // Ahead of the real clock: the generator never goes back in time, so a past fake time would be ignored.
    const start = Date.now() + 86_400_000;
    jest.useFakeTimers({ now: start });
    const first = newEventId();
    jest.setSystemTime(start + 3_600_000);
    const anHourLater = newEventId();

    expect(embeddedMillis(first)).toBe(start);
    expect(embeddedMillis(anHourLater)).toBe(start + 3_600_000);
    expect(first < anHourLater).toBe(true);
  });
});

describe('requestDigest', () => {
  const batch = { metrics: [{ key: 'loss', steps: [0, 1, 2], values: [0.5, 'NaN', 0.25] }] };

  it('is the same for the same request, whatever the key order or the eventId', () => {
    const reordered = { metrics: [{ values: [0.5, 'NaN', 0.25], steps: [0, 1, 2], key: 'loss' }] };
    expect(requestDigest('POST /m', 'run-1', { ...batch, eventId: 'a' })).toBe(
      requestDigest('POST /m', 'run-1', { eventId: 'b', ...reordered }),
    );
  });

  it.each([
    ['another operation', 'POST /n', 'run-1', batch],
    ['another target', 'POST /m', 'run-2', batch],
    ['the operation and target split elsewhere', 'POST /mr', 'un-1', batch],
    ['another value', 'POST /m', 'run-1', { metrics: [{ ...batch.metrics[0], values: [0.5, 'NaN', 0.26] }] }],
    ['a step more', 'POST /m', 'run-1', { metrics: [{ ...batch.metrics[0], steps: [0, 1, 2, 3] }] }],
    [
      'numbers as strings',
      'POST /m',
      'run-1',
      { metrics: [{ ...batch.metrics[0], steps: ['0', '1', '2'] }] },
    ],
    [
      'numbers nested one level deeper',
      'POST /m',
      'run-1',
      { metrics: [{ ...batch.metrics[0], steps: [[0, 1, 2]] }] },
    ],
    ['an extra field', 'POST /m', 'run-1', { ...batch, occurredAt: '2026-01-01T00:00:00Z' }],
  ])('differs for %s', (_name, operation, target, body) => {
    expect(requestDigest(operation, target, body)).not.toBe(requestDigest('POST /m', 'run-1', batch));
  });
});
