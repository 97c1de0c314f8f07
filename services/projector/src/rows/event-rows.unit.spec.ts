import { sealEvent } from '../../../../libs/events/src/envelope';
import type { StoredEvent } from '../../../../libs/events/src/run.events';
import type { LogRecord } from '../../../../libs/log/src/event-log';
import { addEventRows, BatchRows, splitByPoints } from './event-rows';

const position = (offset: number) => ({ topic: 'runlog.metrics', partition: 0, offset });

function stored(
  type: string,
  stream: string,
  payload: unknown,
  occurredAt = '2026-01-02T03:04:05.678Z',
): StoredEvent {
  return sealEvent(
    {
      id: '01930000-0000-7000-8000-000000000000',
      type,
      v: 1,
      workspace: 'w',
      actor: 'a',
      occurredAt,
      payload,
    },
    stream,
    null,
    occurredAt,
  ) as StoredEvent;
}

const metricsEvent = (points: number) =>
  stored('metrics.logged', 'metrics:r1', {
    runId: 'r1',
    series: [
      {
        key: 'loss',
        steps: Array.from({ length: points }, (_, i) => i),
        values: Array.from({ length: points }, () => 0.5),
      },
    ],
  });

const record = (offset: number, event: StoredEvent): LogRecord => ({
  topic: 'runlog.metrics',
  partition: 0,
  offset,
  key: event.stream,
  event,
});

describe('addEventRows', () => {
  it('writes one metric_points line per point, with the log position and the event time as default timestamp', () => {
    const rows = new BatchRows();
    addEventRows(rows, metricsEvent(2), position(7), () => true, undefined);
    expect(rows.lines.metric_points).toEqual([
      'r1\tloss\t0\t0.5\t1767323045.678\trunlog.metrics\t0\t7',
      'r1\tloss\t1\t0.5\t1767323045.678\trunlog.metrics\t0\t7',
    ]);
    expect(rows.points).toBe(2);
    expect(rows.lines.events).toHaveLength(1);
  });

  it('keeps explicit timestamps and escapes what TabSeparated would misread', () => {
    const rows = new BatchRows();
    const event = stored('metrics.logged', 'metrics:r\t1', {
      runId: 'r\t1',
      series: [{ key: 'a\\b', steps: [5], values: [-1.5e-7], timestamps: [1_700_000_000_001] }],
    });
    addEventRows(rows, event, position(1), () => true, undefined);
    expect(rows.lines.metric_points).toEqual([
      'r\\t1\ta\\\\b\t5\t-1.5e-7\t1700000000.001\trunlog.metrics\t0\t1',
    ]);
  });

  it('skips the tables that already hold the record (after a crash) and still writes the others', () => {
    const rows = new BatchRows();
    addEventRows(rows, metricsEvent(3), position(1), (table) => table !== 'metric_points', undefined);
    expect(rows.lines.metric_points).toEqual([]);
    expect(rows.lines.events).toHaveLength(1);
  });

  it('evolves a run snapshot through its lifecycle and writes it once per batch', () => {
    const rows = new BatchRows();
    const created = stored('run.created', 'run:r1', {
      runId: 'r1',
      experimentId: 'e1',
      name: 'n',
      startTime: 1000,
    });
    const failed = stored('run.failed', 'run:r1', { endTime: 2000, reason: 'oom' });
    addEventRows(rows, created, position(1), () => true, undefined);
    addEventRows(rows, failed, position(2), () => true, undefined);
    rows.finishRuns();
    expect(rows.lines.runs).toEqual(['r1\te1\tn\tfailed\t1.000\t2.000\toom\t2\trunlog.metrics\t0\t2']);
  });

  it('writes params with a numeric twin when the value is a number', () => {
    const rows = new BatchRows();
    addEventRows(
      rows,
      stored('run.params_logged', 'run:r1', { params: { lr: '0.01', opt: 'adam' } }),
      position(3),
      () => true,
      undefined,
    );
    expect(rows.lines.params).toEqual([
      'r1\tlr\t0.01\t0.01\t3\trunlog.metrics\t0\t3',
      'r1\topt\tadam\t\\N\t3\trunlog.metrics\t0\t3',
    ]);
  });
});

describe('splitByPoints', () => {
  it('groups consecutive records up to the bound and gives an oversized record a group of its own', () => {
    const records = [
      record(1, metricsEvent(4)),
      record(2, metricsEvent(4)),
      record(3, metricsEvent(9)),
      record(4, metricsEvent(1)),
    ];
    expect(splitByPoints(records, 8).map((group) => group.map((r) => r.offset))).toEqual([[1, 2], [3], [4]]);
  });
});
