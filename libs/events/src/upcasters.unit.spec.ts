import { newEventId, sealEvent, type EventEnvelope } from './envelope';
import { CURRENT_VERSIONS, UnknownEventError, upcast } from './upcasters';

const stored = (type: string, v: number, payload: unknown = { runId: 'run-1' }): EventEnvelope =>
  sealEvent(
    {
      id: newEventId(),
      type,
      v,
      workspace: 'ws-1',
      actor: 'user:ada',
      occurredAt: '2025-03-01T12:00:00.000Z',
      payload,
    },
    'run:run-1',
    null,
    '2025-03-01T12:00:00.500Z',
  );

/** Runs `read` and returns what it threw, failing the test when it threw nothing. */
function thrownBy(read: () => unknown): unknown {
  try {
    read();
  } catch (error) {
    return error;
  }
  throw new Error('expected upcast to throw');
}

describe('upcast', () => {
  it.each(Object.entries(CURRENT_VERSIONS))(
    'passes %s at its current version (v%d) through unchanged',
    (type, v) => {
      const envelope = stored(type, v);
      expect(upcast(envelope)).toEqual(envelope);
    },
  );

  it.each(['run.archived', 'Run.Created', '', 'constructor', 'toString', '__proto__'])(
    'rejects the unknown type "%s" as unknown_event_type',
    (type) => {
      const error = thrownBy(() => upcast(stored(type, 1)));
      expect(error).toBeInstanceOf(UnknownEventError);
      expect(error).toMatchObject({ reason: 'unknown_event_type', eventType: type, version: 1 });
    },
  );

  it('rejects a version newer than this build knows as unknown_event_version, naming type and version', () => {
    const error = thrownBy(() => upcast(stored('run.created', 3)));
    expect(error).toBeInstanceOf(UnknownEventError);
    expect(error).toMatchObject({ reason: 'unknown_event_version', eventType: 'run.created', version: 3 });
    expect((error as Error).message).toBe('unknown_event_version: run.created@3');
  });

  it.each([0, -1, 1.5])('rejects version %d, which has no upcaster, as unknown_event_version', (v) => {
    const error = thrownBy(() => upcast(stored('run.finished', v)));
    expect(error).toBeInstanceOf(UnknownEventError);
    expect(error).toMatchObject({ reason: 'unknown_event_version', eventType: 'run.finished' });
  });
});

describe('upcasters of superseded versions', () => {
  it('lifts run.created@1 to @2: started when created, no sweep, no parent; the stored hash is untouched', () => {
    const v1 = stored('run.created', 1, { runId: 'run-1', experimentId: 'e', name: 'n', startTime: 1_000 });
    const lifted = upcast(v1);
    expect(lifted.v).toBe(2);
    expect(lifted.payload).toEqual({
      runId: 'run-1',
      experimentId: 'e',
      name: 'n',
      createdAt: 1_000,
      startTime: 1_000,
      sweepId: null,
      parentRunId: null,
    });
    expect(lifted.hash).toBe(v1.hash);
    expect(v1.v).toBe(1);
  });

  it('lifts run.failed@1 to @2 without a stack trace', () => {
    const lifted = upcast(stored('run.failed', 1, { endTime: 5, reason: 'oom' }));
    expect(lifted).toMatchObject({ v: 2, payload: { endTime: 5, reason: 'oom', stackTrace: null } });
  });
});
