import type { EventLog, LogRecord } from '../../../libs/log/src/event-log';
import { NotFoundError } from '../../../libs/domain/src/errors';
import { ownerOf } from './ingest-router';
import { LivenessTracker } from './liveness';

const record = (offset: number, runId: string, type: string, payload: unknown = {}): LogRecord =>
  ({
    topic: 'runlog.lifecycle',
    partition: 0,
    offset,
    key: `run:${runId}`,
    event: { type, stream: `run:${runId}`, payload },
  }) as LogRecord;

/** Only what the tracker reads of the log: the lifecycle topic, page by page. */
function logOf(records: LogRecord[]): EventLog {
  return {
    endOffsets: async () => new Map([[0, records.length]]),
    read: async (_topic: string, _partition: number, from: number, max: number) =>
      records.slice(from, from + max),
  } as unknown as EventLog;
}

function tracker(
  options: { staleAfterMs?: number; records?: LogRecord[]; peers?: string[]; self?: number } = {},
) {
  const marked: [string, number][] = [];
  const liveness = new LivenessTracker(
    { staleAfterMs: options.staleAfterMs ?? 1_000 },
    logOf(options.records ?? []),
    {
      peers: options.peers ?? [],
      self: options.self ?? 0,
    },
  );
  let now = 10_000;
  liveness.now = () => now;
  liveness.onStale = async (runId, lastSeenAt) => {
    marked.push([runId, lastSeenAt]);
  };
  return { liveness, marked, advance: (ms: number) => (now += ms) };
}

describe('LivenessTracker', () => {
  it('marks a run silent past the timeout once, with when it was last seen, and not one seen since', async () => {
    const { liveness, marked, advance } = tracker();
    liveness.seen('quiet');
    liveness.seen('chatty');
    advance(600);
    liveness.seen('chatty');
    advance(500);
    await liveness.check();
    expect(marked).toEqual([['quiet', 10_000]]);
    await liveness.check();
    expect(marked).toHaveLength(1);
    advance(1_000);
    await liveness.check();
    expect(marked).toEqual([
      ['quiet', 10_000],
      ['chatty', 10_600],
    ]);
    expect(liveness.tracked()).toBe(0);
  });

  it('keeps watching a run whose mark could not be appended, and tries again', async () => {
    const { liveness, marked, advance } = tracker();
    let failures = 1;
    liveness.onStale = async (runId, lastSeenAt) => {
      if (failures-- > 0) throw new Error('log unavailable');
      marked.push([runId, lastSeenAt]);
    };
    liveness.seen('r');
    advance(2_000);
    await liveness.check();
    expect(marked).toEqual([]);
    expect(liveness.tracked()).toBe(1);
    await liveness.check();
    expect(marked).toEqual([['r', 10_000]]);
  });

  it('retries a failed mark on the next pass even when other runs, not yet due, were seen after it', async () => {
    const { liveness, marked, advance } = tracker();
    let failures = 1;
    liveness.onStale = async (runId, lastSeenAt) => {
      if (failures-- > 0) throw new Error('log unavailable');
      marked.push([runId, lastSeenAt]);
    };
    liveness.seen('first');
    advance(1_500);
    liveness.seen('later');
    await liveness.check();
    expect(marked).toEqual([]);
    await liveness.check();
    expect(marked).toEqual([['first', 10_000]]);
  });

  it('drops the longest-silent run past its bound, without marking it', () => {
    const { liveness, marked } = tracker();
    for (let i = 0; i <= 1_000_000; i++) liveness.seen(`run-${i}`);
    expect(liveness.tracked()).toBe(1_000_000);
    expect(marked).toEqual([]);
  });

  it('drops a run whose mark was refused for good (a write to an unknown run was seen)', async () => {
    const { liveness, advance } = tracker();
    liveness.onStale = async () => {
      throw new NotFoundError('run nope does not exist', 'runId');
    };
    liveness.seen('nope');
    advance(2_000);
    await liveness.check();
    expect(liveness.tracked()).toBe(0);
  });

  it('forgets an ended run', async () => {
    const { liveness, marked, advance } = tracker();
    liveness.seen('done');
    liveness.forget('done');
    advance(2_000);
    await liveness.check();
    expect([marked, liveness.tracked()]).toEqual([[], 0]);
  });

  it('does nothing when marking is off', async () => {
    const { liveness, marked, advance } = tracker({ staleAfterMs: 0 });
    liveness.seen('r');
    advance(1e9);
    await liveness.check();
    expect([marked, liveness.tracked()]).toEqual([[], 0]);
  });

  it('after a restart, starts the clocks of the runs the log says are running and this process owns', async () => {
    const peers = ['http://a', 'http://b'];
    const ids = Array.from({ length: 40 }, (_, i) => `run-${i}`);
    const mine = ids.filter((id) => ownerOf(id, 2) === 1);
    const [ended, stale, resumed] = mine;
    const queued = Array.from({ length: 20 }, (_, i) => `queued-${i}`).find((id) => ownerOf(id, 2) === 1)!;
    const records = [
      ...ids.map((id) => record(0, id, 'run.created', { startTime: 5 })),
      record(0, queued, 'run.created', { startTime: null }),
      record(0, ended, 'run.finished'),
      record(0, stale, 'run.marked_stale'),
      record(0, resumed, 'run.marked_stale'),
      record(0, resumed, 'run.resumed'),
    ];
    records.forEach((r, offset) => (r.offset = offset));
    const { liveness, marked, advance } = tracker({ records, peers, self: 1 });
    liveness.onApplicationBootstrap();
    try {
      await liveness.seeded();
      advance(999);
      await liveness.check();
      expect(marked).toEqual([]);
      advance(2);
      await liveness.check();
    } finally {
      liveness.onApplicationShutdown();
    }
    expect(marked.map(([id]) => id).sort()).toEqual(mine.filter((id) => id !== ended && id !== stale).sort());
    expect(marked.every(([, at]) => at === 10_000)).toBe(true);
  });
});
