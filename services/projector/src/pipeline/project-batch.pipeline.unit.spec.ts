import type { EventEnvelope } from '../../../../libs/events/src/envelope';
import type { LogRecord } from '../../../../libs/log/src/event-log';
import type { MetricPointColumns, ProjectedTable } from '../../../../libs/store/src';
import { BatchRows } from '../rows/event-rows';
import type { BuildRowsStep, ParsedRecord } from '../steps/build-rows.step';
import type { ParseRecordStep } from '../steps/parse-record.step';
import { createProjectBatchPipeline, type ProjectBatchDeps } from './project-batch.pipeline';
import { ok } from './results';
import type { ProjectionState } from './projection-state';

const POINTS_PER_RECORD = 10;

/** A record of a run's metric stream, or (`stream: 'run:r'`) of its lifecycle stream, which changes its snapshot. */
function metricsRecord(offset: number, stream = 'metrics:r'): LogRecord {
  const steps = Array.from({ length: POINTS_PER_RECORD }, (_, step) => step);
  return {
    topic: 'runlog.metrics',
    partition: 0,
    offset,
    key: 'metrics:r',
    event: {
      stream,
      type: 'metrics.logged',
      payload: { runId: 'r', series: [{ key: 'loss', steps }] },
    } as EventEnvelope,
  };
}

/**
 * A pipeline whose inserts wait until the test lets them land, logging each build and insert in order. Each record
 * is its own group (maxInsertRows = one record's points); `touchesRuns` makes every group change a run snapshot.
 */
function harness(options: { touchesRuns?: boolean; failFirstInsert?: Error } = {}) {
  const events: string[] = [];
  const pending: { table: ProjectedTable; land: () => void; fail: (error: Error) => void }[] = [];
  const parseRecord = ((input: { record: LogRecord }) =>
    ok({ ...input, event: input.record.event })) as unknown as ParseRecordStep;
  const buildRows = (async (records: ParsedRecord[]) => {
    events.push(`build ${records.map((parsed) => parsed.record.offset).join(',')}`);
    const rows = new BatchRows();
    for (const { record } of records) {
      const position = { topic: record.topic, partition: record.partition, offset: record.offset };
      rows.lines.metric_points.append('r', 'loss', [record.offset], [0.5], undefined, 0, position);
    }
    rows.points = records.length * POINTS_PER_RECORD;
    if (options.touchesRuns) {
      rows.touchedRuns.set('r', {
        state: { status: 'running' } as never,
        position: { topic: 'runlog.metrics', partition: 0, offset: 0 },
        workspace: 'default',
      });
    }
    return ok(rows);
  }) as BuildRowsStep;
  const state = {
    watermarksFor: async () => new Map(),
    cacheRun: () => undefined,
  } as unknown as ProjectionState;
  let inserts = 0;
  const deps: ProjectBatchDeps = {
    parseRecord,
    buildRows,
    state,
    insert: (table, rows) =>
      new Promise<void>((resolve, reject) => {
        // Each record's one point has its offset for step: the log below reads as offsets, as before.
        const lines =
          table === 'metric_points'
            ? (rows as MetricPointColumns).tsvLines().map((line) => line.split('\t')[2])
            : (rows as string[]);
        events.push(`insert ${lines.join(',')}`);
        inserts += 1;
        if (inserts === 1 && options.failFirstInsert) {
          reject(options.failFirstInsert);
          return;
        }
        pending.push({
          table,
          land: () => {
            events.push(`landed ${lines.join(',')}`);
            resolve();
          },
          fail: reject,
        });
      }),
    ping: async () => true,
    deadLettered: async () => undefined,
    afterInsert: () => undefined,
  };
  const pipeline = createProjectBatchPipeline({ maxInsertRows: POINTS_PER_RECORD }, deps);
  /** Lets every insert issued so far land, after the turns in which the pipeline reacts to the previous ones. */
  const landAll = async () => {
    for (let turn = 0; turn < 20; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      pending.splice(0).forEach((insert) => insert.land());
    }
  };
  const batch = {
    topic: 'runlog.metrics',
    partition: 0,
    records: [1, 2, 3].map((offset) => metricsRecord(offset, options.touchesRuns ? 'run:r' : 'metrics:r')),
    highWatermark: 4,
  };
  return { events, pipeline, batch, landAll };
}

describe('projectBatchPipeline, one group ahead', () => {
  it("builds the next group's rows while the previous insert runs, and inserts in log order", async () => {
    const { events, pipeline, batch, landAll } = harness();
    const done = pipeline(batch);
    await landAll();
    const counts = await done;
    expect(events).toEqual([
      'build 1',
      'insert 1',
      'build 2',
      'landed 1',
      'insert 2',
      'build 3',
      'landed 2',
      'insert 3',
      'landed 3',
    ]);
    expect(counts).toEqual({ groups: 3, records: 3, points: 3 * POINTS_PER_RECORD, deadLetters: 0 });
  });

  it('waits for a group that changed a run snapshot to land before building the next one', async () => {
    const { events, pipeline, batch, landAll } = harness({ touchesRuns: true });
    const done = pipeline(batch);
    await landAll();
    await done;
    expect(events).toEqual([
      'build 1',
      'insert 1',
      'landed 1',
      'build 2',
      'insert 2',
      'landed 2',
      'build 3',
      'insert 3',
      'landed 3',
    ]);
  });

  it('an outage on the first insert fails the batch: the group built ahead is never inserted', async () => {
    const outage = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const { events, pipeline, batch } = harness({ failFirstInsert: outage });
    await expect(pipeline(batch)).rejects.toBe(outage);
    expect(events).toEqual(['build 1', 'insert 1', 'build 2']);
  });
});
