import type { EventEnvelope } from '../../../../libs/events/src/envelope';
import type { LogRecord } from '../../../../libs/log/src/event-log';
import { toLiveEvent } from './live-events';
import { liveMetricPointsCost, liveMetricPointsRequest } from './live-args';

const OCCURRED = '2026-12-01T10:00:00.000Z';

function record(stream: string, type: string, v: number, payload: unknown): LogRecord {
  const event: EventEnvelope = {
    id: 'id',
    type,
    v,
    stream,
    workspace: 'default',
    actor: 'test',
    occurredAt: OCCURRED,
    recordedAt: OCCURRED,
    payload,
    prevHash: null,
    hash: 'h',
  };
  return { topic: 'runlog.lifecycle', partition: 0, offset: 1, key: stream, event };
}

describe('toLiveEvent', () => {
  const run = (type: string, payload: unknown, v = 1) => toLiveEvent(record('run:r1', type, v, payload));

  it('reads the events that move a status, with their time, and nothing else', () => {
    const created = {
      runId: 'r1',
      experimentId: 'e',
      name: 'n',
      createdAt: 5,
      sweepId: null,
      parentRunId: null,
    };
    expect(run('run.created', { ...created, startTime: null }, 2)).toMatchObject({ status: 'queued', at: 5 });
    expect(run('run.created', { ...created, startTime: 6 }, 2)).toMatchObject({ status: 'running', at: 6 });
    // A v1 creation is lifted by the upcasters: it started when it was created.
    expect(run('run.created', { runId: 'r1', experimentId: 'e', name: 'n', startTime: 7 })).toMatchObject({
      status: 'running',
      at: 7,
    });
    expect(run('run.started', { startTime: 8 })).toMatchObject({ status: 'running', at: 8, terminal: false });
    expect(run('run.marked_stale', { lastSeenAt: 1, timeoutMs: 2 })).toMatchObject({
      status: 'stale',
      at: Date.parse(OCCURRED),
    });
    expect(run('run.resumed', {})).toMatchObject({ status: 'running' });
    expect(run('run.finished', { endTime: 9 })).toEqual({
      kind: 'status',
      runId: 'r1',
      // The workspace the event was written in: subscribers of other workspaces do not see it.
      workspace: 'default',
      status: 'finished',
      at: 9,
      terminal: true,
      reason: null,
    });
    expect(run('run.failed', { endTime: 10, reason: 'diverged' })).toMatchObject({
      status: 'failed',
      reason: 'diverged',
      terminal: true,
    });
    expect(run('run.killed', { endTime: 11, reason: null })).toMatchObject({
      status: 'killed',
      terminal: true,
    });
    expect(run('run.params_logged', { params: { lr: '0.1' } })).toBeNull();
    expect(run('run.future_event', {})).toBeNull();
    expect(toLiveEvent(record('experiment:e', 'experiment.renamed', 1, { name: 'x' }))).toBeNull();
  });

  it('keeps a metric batch columnar, with the time of points logged without one', () => {
    const series = [{ key: 'loss', steps: [1, 2], values: [0.5, 'NaN'] }];
    expect(toLiveEvent(record('run:r1:metrics', 'metrics.logged', 1, { runId: 'r1', series }))).toEqual({
      kind: 'points',
      runId: 'r1',
      workspace: 'default',
      series,
      defaultTimestamp: Date.parse(OCCURRED),
    });
  });
});

describe('metricPoints arguments', () => {
  const ask = (overrides: object) =>
    liveMetricPointsRequest({ runId: 'r', keys: ['a'], maxPoints: 100, intervalMs: 1000, ...overrides });

  it('refuses what is out of range, naming the argument', () => {
    expect(ask({ keys: ['a', 'a', 'b'] }).keys).toEqual(['a', 'b']);
    expect(() => ask({ keys: [] })).toThrow(expect.objectContaining({ field: 'keys' }));
    expect(() => ask({ keys: Array.from({ length: 51 }, (_, i) => `k${i}`) })).toThrow(
      expect.objectContaining({ field: 'keys' }),
    );
    expect(() => ask({ maxPoints: 1 })).toThrow(expect.objectContaining({ field: 'maxPoints' }));
    expect(() => ask({ maxPoints: 10_001 })).toThrow(expect.objectContaining({ field: 'maxPoints' }));
    expect(() => ask({ intervalMs: 99 })).toThrow(expect.objectContaining({ field: 'intervalMs' }));
  });

  it('costs maxPoints per distinct key, as metricSeries does', () => {
    expect(liveMetricPointsCost({ keys: ['a', 'b', 'b'], maxPoints: 500 }, 7)).toBe(2 * 507);
    expect(liveMetricPointsCost({ keys: ['a'] }, 0)).toBe(1000);
    expect(liveMetricPointsCost({ keys: ['a'], maxPoints: 1e9 }, 0)).toBe(10_000);
  });
});
