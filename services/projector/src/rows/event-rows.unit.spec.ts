import { sealEvent } from '../../../../libs/events/src/envelope';
import { upcast } from '../../../../libs/events/src/upcasters';
import type { StoredEvent } from '../../../../libs/events/src/run.events';
import type { LogRecord } from '../../../../libs/log/src/event-log';
import { RUN_COLUMNS, type RunView } from '../../../../libs/store/src';
import { runStateFromView } from '../projector.service';
import { addEventRows, BatchRows, splitByPoints } from './event-rows';

const position = (offset: number) => ({ topic: 'runlog.metrics', partition: 0, offset });

const run = (type: string, payload: unknown, v = 1) => stored(type, 'run:r2', payload, undefined, v);
const created = (startTime: number | null) =>
  run(
    'run.created',
    {
      runId: 'r2',
      experimentId: 'e1',
      name: 'trial',
      createdAt: 500,
      startTime,
      sweepId: 's1',
      parentRunId: null,
    },
    2,
  );

/** A runs row read back as the gateway's query would: the TSV columns by name, types as ClickHouse returns them. */
function viewOfRow(line: string): RunView {
  const cells = line.split('\t').map((cell) => (cell === '\\N' ? null : cell.replace(/\\n/g, '\n')));
  const column = (name: string) => cells[RUN_COLUMNS.indexOf(name as (typeof RUN_COLUMNS)[number])];
  const millis = (value: string | null) =>
    value === null ? null : Date.parse(`${value.replace(' ', 'T')}Z`);
  return {
    runId: column('run_id')!,
    experimentId: column('experiment_id')!,
    name: column('name')!,
    status: column('status')!,
    startTime: millis(column('start_time'))!,
    endTime: millis(column('end_time')),
    failureReason: column('failure_reason'),
    createdAt: millis(column('created_at'))!,
    sweepId: column('sweep_id'),
    parentRunId: column('parent_run_id'),
    deleted: column('deleted') === '1',
    note: column('note')!,
    stackTrace: column('stack_trace'),
    context: column('context') ? JSON.parse(column('context')!) : null,
    started: column('started') === '1',
    workspace: column('workspace')!,
  };
}

/** An event as the projector sees it: sealed as written at version `v`, then upcast. */
function stored(
  type: string,
  stream: string,
  payload: unknown,
  occurredAt = '2026-01-02T03:04:05.678Z',
  v = 1,
): StoredEvent {
  return upcast(
    sealEvent(
      {
        id: '01930000-0000-7000-8000-000000000000',
        type,
        v,
        workspace: 'w',
        actor: 'a',
        occurredAt,
        payload,
      },
      stream,
      null,
      occurredAt,
    ),
  );
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

describe('runStateFromView (a run read back from its row)', () => {
  it('gives back the snapshot the row was written from, for every status', () => {
    const context = { host: 'h', seeds: { torch: 1 } };
    const histories: Record<string, StoredEvent[]> = {
      queued: [created(null)],
      running: [created(1500)],
      stale: [created(1500), run('run.marked_stale', { lastSeenAt: 1600, timeoutMs: 10 })],
      'killed before it started': [
        created(null),
        run('run.killed', { endTime: 3000, reason: 'sweep stopped' }),
      ],
      failed: [
        created(1500),
        run('run.context_captured', { context }),
        run('run.note_set', { note: 'n' }),
        run('run.failed', { endTime: 3000, reason: 'NaN', stackTrace: 'at x' }, 2),
        run('run.deleted', {}),
      ],
    };
    for (const [name, events] of Object.entries(histories)) {
      const rows = new BatchRows();
      events.forEach((event, index) => addEventRows(rows, event, position(index + 1), () => true, {}));
      const written = rows.touchedRuns.get('r2')!.state;
      rows.finishSnapshots();
      const view = viewOfRow(rows.lines.runs[0]);
      expect([name, runStateFromView(view)]).toEqual([
        name,
        { ...written, params: {}, tags: {}, artifacts: {}, inputs: [] },
      ]);
    }
  });
});

describe('addEventRows', () => {
  it('writes one metric_points line per point, with the log position and the event time as default timestamp', () => {
    const rows = new BatchRows();
    addEventRows(rows, metricsEvent(2), position(7), () => true, {});
    expect(rows.lines.metric_points.tsvLines()).toEqual([
      'r1\tloss\t0\t0.5\t2026-01-02 03:04:05.678\trunlog.metrics\t0\t7\t',
      'r1\tloss\t1\t0.5\t2026-01-02 03:04:05.678\trunlog.metrics\t0\t7\t',
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
    addEventRows(rows, event, position(1), () => true, {});
    expect(rows.lines.metric_points.tsvLines()).toEqual([
      'r\\t1\ta\\\\b\t5\t-1.5e-7\t2023-11-14 22:13:20.001\trunlog.metrics\t0\t1\t',
    ]);
  });

  it("writes a batch's worker on each of its points; a batch without one is the default worker's ('')", () => {
    const rows = new BatchRows();
    const labelled = (worker: string, offset: number) =>
      stored('metrics.logged', 'metrics:r1', {
        runId: 'r1',
        worker,
        series: [{ key: 'loss', steps: [offset], values: [1], timestamps: [1_700_000_000_000] }],
      });
    addEventRows(rows, labelled('3', 1), position(1), () => true, {});
    addEventRows(rows, metricsEvent(1), position(2), () => true, {});
    addEventRows(rows, labelled('node-1:0', 3), position(3), () => true, {});
    const workers = rows.lines.metric_points.tsvLines().map((line) => line.split('\t')[8]);
    expect(workers).toEqual(['3', '', 'node-1:0']);
    expect(rows.lines.metric_points.workers).toEqual(['3', '', 'node-1:0']);
  });

  it('skips the tables that already hold the record (after a crash) and still writes the others', () => {
    const rows = new BatchRows();
    addEventRows(rows, metricsEvent(3), position(1), (table) => table !== 'metric_points', {});
    expect(rows.lines.metric_points.tsvLines()).toEqual([]);
    expect(rows.lines.events).toHaveLength(1);
  });

  it('evolves a v1 run (upcast) through its lifecycle and writes its snapshot once per batch', () => {
    const rows = new BatchRows();
    const created = stored('run.created', 'run:r1', {
      runId: 'r1',
      experimentId: 'e1',
      workspace: 'default',
      name: 'n',
      startTime: 1000,
    });
    const failed = stored('run.failed', 'run:r1', { endTime: 2000, reason: 'oom' });
    addEventRows(rows, created, position(1), () => true, {});
    addEventRows(rows, failed, position(2), () => true, {});
    rows.finishSnapshots();
    expect(rows.lines.runs).toEqual([
      'r1\te1\tn\tfailed\t1970-01-01 00:00:01.000\t1970-01-01 00:00:02.000\toom\t1970-01-01 00:00:01.000\t\\N\t\\N\t0\t\t\\N\t\t1\t2\trunlog.metrics\t0\t2\tw',
    ]);
  });

  it('keeps the envelope as written in the events table, so its hash can be recomputed from the row', () => {
    const rows = new BatchRows();
    const written = sealEvent(
      {
        id: '01930000-0000-7000-8000-000000000001',
        type: 'run.failed',
        v: 1,
        workspace: 'w',
        actor: 'a',
        occurredAt: '2026-01-02T03:04:05.678Z',
        payload: { endTime: 2000, reason: 'oom' },
      },
      'run:r1',
      null,
      '2026-01-02T03:04:05.678Z',
    );
    addEventRows(rows, upcast(written), position(1), () => true, {}, written);
    const columns = rows.lines.events[0].split('\t');
    expect(columns[2]).toBe('1');
    expect(JSON.parse(columns[10])).toEqual({ endTime: 2000, reason: 'oom' });
  });

  it('writes a queued child run of a sweep with its note, context, deletion and stack trace', () => {
    const rows = new BatchRows();
    const run = (type: string, payload: unknown, v = 1) => stored(type, 'run:r2', payload, undefined, v);
    const events = [
      run(
        'run.created',
        {
          runId: 'r2',
          experimentId: 'e1',
          name: 'trial',
          createdAt: 500,
          startTime: null,
          sweepId: 's1',
          parentRunId: 'r1',
        },
        2,
      ),
      run('run.context_captured', { context: { host: 'gpu-7', seeds: { torch: 42 } } }),
      run('run.note_set', { note: 'line one\nline two' }),
      run('run.started', { startTime: 1500 }),
      run('run.failed', { endTime: 2500, reason: 'NaN loss', stackTrace: 'Error: NaN\n  at step' }, 2),
      run('run.deleted', {}),
    ];
    events.forEach((event, index) => addEventRows(rows, event, position(index + 1), () => true, {}));
    rows.finishSnapshots();
    expect(rows.lines.runs).toEqual([
      [
        'r2\te1\ttrial\tfailed\t1970-01-01 00:00:01.500\t1970-01-01 00:00:02.500\tNaN loss\t1970-01-01 00:00:00.500\ts1\tr1\t1\tline one\\nline two',
        'Error: NaN\\n  at step\t{"host":"gpu-7","seeds":{"torch":42}}\t1\t6\trunlog.metrics\t0\t6\tw',
      ].join('\t'),
    ]);
  });

  it('writes an experiment row per batch from the row it last wrote, with renames and archiving', () => {
    const rows = new BatchRows();
    const before = {
      experimentId: 'e1',
      workspace: 'default',
      name: 'old',
      createdAt: 1000,
      archived: false,
      rawPointsMaxAgeDays: null,
      tags: {},
    };
    addEventRows(
      rows,
      stored('experiment.renamed', 'experiment:e1', { name: 'new name' }),
      position(4),
      () => true,
      {
        experiment: before,
      },
    );
    addEventRows(rows, stored('experiment.archived', 'experiment:e1', {}), position(5), () => true, {});
    rows.finishSnapshots();
    expect(rows.lines.experiments).toEqual([
      'e1\tnew name\t1970-01-01 00:00:01.000\t1\t0\t5\trunlog.metrics\t0\t5\tw\t{}',
    ]);
  });

  it('experiment tags ride in the row as one JSON object: set per key, deleted per key', () => {
    const rows = new BatchRows();
    const before = {
      experimentId: 'e1',
      workspace: 'default',
      name: 'n',
      createdAt: 1000,
      archived: false,
      rawPointsMaxAgeDays: null,
      tags: { keep: 'k', drop: 'd' },
    };
    addEventRows(
      rows,
      stored('experiment.tags_set', 'experiment:e1', { tags: { team: 'a\tb' } }),
      position(8),
      () => true,
      {
        experiment: before,
      },
    );
    addEventRows(
      rows,
      stored('experiment.tags_deleted', 'experiment:e1', { keys: ['drop'] }),
      position(9),
      () => true,
      {},
    );
    rows.finishSnapshots();
    expect(rows.lines.experiments).toEqual([
      'e1\tn\t1970-01-01 00:00:01.000\t0\t0\t9\trunlog.metrics\t0\t9\tw\t{"keep":"k","team":"a\\\\tb"}',
    ]);
  });

  it('an experiment.retention_set keeps the row as it was and records the age (0 when cleared)', () => {
    const rows = new BatchRows();
    const before = {
      experimentId: 'e1',
      workspace: 'default',
      name: 'n',
      createdAt: 1000,
      archived: true,
      rawPointsMaxAgeDays: null,
      tags: {},
    };
    const retention = (days: number | null) =>
      stored('experiment.retention_set', 'experiment:e1', { rawPointsMaxAgeDays: days });
    addEventRows(rows, retention(30), position(6), () => true, { experiment: before });
    rows.finishSnapshots();
    expect(rows.lines.experiments).toEqual([
      'e1\tn\t1970-01-01 00:00:01.000\t1\t30\t6\trunlog.metrics\t0\t6\tw\t{}',
    ]);
    const cleared = new BatchRows();
    addEventRows(cleared, retention(null), position(7), () => true, {
      experiment: { ...before, rawPointsMaxAgeDays: 30 },
    });
    cleared.finishSnapshots();
    expect(cleared.lines.experiments).toEqual([
      'e1\tn\t1970-01-01 00:00:01.000\t1\t0\t7\trunlog.metrics\t0\t7\tw\t{}',
    ]);
  });

  it('writes inputs, artifacts and sweeps to their tables', () => {
    const rows = new BatchRows();
    const digest = 'c'.repeat(64);
    addEventRows(
      rows,
      stored('run.inputs_logged', 'run:r1', {
        inputs: [
          {
            name: 'mnist',
            digest: 'sha256:abc',
            source: 's3://d/mnist',
            split: 'train',
            rows: 60000,
            schemaDigest: null,
          },
          {
            name: 'wide',
            digest: 'd1',
            source: null,
            split: null,
            rows: null,
            schemaDigest: 'sha256:ff',
            schema: '{"cols":["a\tb","c\nd"]}',
            profile: '{"num_rows": 3}',
            tags: { 'source.split': 'train[:80%]\\x' },
          },
        ],
      }),
      position(1),
      () => true,
      {},
    );
    addEventRows(
      rows,
      stored('run.artifact_logged', 'run:r1', {
        path: 'model.pt',
        size: 7,
        digest,
        contentType: 'application/x',
      }),
      position(2),
      () => true,
      {},
    );
    addEventRows(
      rows,
      stored('sweep.created', 'sweep:s1', {
        sweepId: 's1',
        experimentId: 'e1',
        name: '',
        method: 'grid',
        searchSpace: { lr: { values: [0.1, 0.01] } },
        objective: { metric: 'val/loss', goal: 'minimize' },
      }),
      position(3),
      () => true,
      {},
    );
    expect(rows.lines.run_inputs).toEqual([
      'r1\tmnist\tsha256:abc\ts3://d/mnist\ttrain\t60000\t\\N\t2026-01-02 03:04:05.678\t1\trunlog.metrics\t0\t1\t\\N\t\\N\t{}',
      // Tabs, newlines and backslashes in the texts are escaped as TSV spells them.
      'r1\twide\td1\t\\N\t\\N\t\\N\tsha256:ff\t2026-01-02 03:04:05.678\t1\trunlog.metrics\t0\t1\t' +
        '{"cols":["a\\tb","c\\nd"]}\t{"num_rows": 3}\t{"source.split":"train[:80%]\\\\\\\\x"}',
    ]);
    expect(rows.lines.artifacts).toEqual([
      `r1\tmodel.pt\t7\t${digest}\tapplication/x\t2026-01-02 03:04:05.678\t2\trunlog.metrics\t0\t2`,
    ]);
    expect(rows.lines.sweeps).toEqual([
      's1\te1\t\tgrid\t{"lr":{"values":[0.1,0.01]}}\tval/loss\tminimize\t2026-01-02 03:04:05.678\t3\trunlog.metrics\t0\t3\tw',
    ]);
  });

  it('writes NaN and infinities as ClickHouse reads them', () => {
    const rows = new BatchRows();
    const event = stored('metrics.logged', 'metrics:r1', {
      runId: 'r1',
      series: [{ key: 'loss', steps: [1, 2, 3, 4], values: [0.5, 'NaN', 'Infinity', '-Infinity'] }],
    });
    addEventRows(rows, event, position(1), () => true, {});
    expect(rows.lines.metric_points.tsvLines().map((line) => line.split('\t')[3])).toEqual([
      '0.5',
      'nan',
      'inf',
      '-inf',
    ]);
  });

  it('writes params with a numeric twin when the value is a number', () => {
    const rows = new BatchRows();
    addEventRows(
      rows,
      stored('run.params_logged', 'run:r1', { params: { lr: '0.01', opt: 'adam' } }),
      position(3),
      () => true,
      {},
    );
    expect(rows.lines.params).toEqual([
      'r1\tlr\t0.01\t0.01\t3\trunlog.metrics\t0\t3',
      'r1\topt\tadam\t\\N\t3\trunlog.metrics\t0\t3',
    ]);
  });
});

describe('addEventRows on records an older version wrote (libs/events/src/storable.ts)', () => {
  const unstorable = (field: string) => expect.objectContaining({ code: 'unstorable_value', field });

  it('writes an event id in its canonical form, whatever spelling the log holds', () => {
    const rows = new BatchRows();
    const event = { ...metricsEvent(1), id: 'URN:UUID:01930000-0000-7000-8000-00000000000A' };
    addEventRows(rows, event, position(1), () => true, {});
    expect(rows.lines.events[0].split('\t')[0]).toBe('01930000-0000-7000-8000-00000000000a');
  });

  it('throws UnstorableValueError naming the field for what no rule can store', () => {
    const add = (event: StoredEvent) => () =>
      addEventRows(new BatchRows(), event, position(1), () => true, {});
    expect(add(stored('run.tags_set', 'run:r1', { tags: { a: 'b' } }, '2016-12-31T23:59:60Z'))).toThrow(
      unstorable('occurredAt'),
    );
    expect(add(stored('run.tags_set', 'run:r1', { tags: { a: 'b\ud800' } }))).toThrow(
      unstorable('payload.tags.a'),
    );
    expect(add({ ...metricsEvent(1), id: '{01930000-0000-7000-8000-000000000000}' })).toThrow(
      unstorable('id'),
    );
    const beyond = stored('metrics.logged', 'metrics:r1', {
      runId: 'r1',
      series: [{ key: 'loss', steps: [0, 1], values: [1, 2], timestamps: [0, 253402300799999] }],
    });
    expect(add(beyond)).toThrow(unstorable('payload.series[0].timestamps[1]'));
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
