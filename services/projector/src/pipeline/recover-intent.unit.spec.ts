import type { EventEnvelope } from '../../../../libs/events/src/envelope';
import type { ConsumedBatch, LogRecord } from '../../../../libs/log/src/event-log';
import { recordingReader, recordingWriter } from '../../../../libs/store/src/testing/recording-ports';
import { BatchRows } from '../rows/event-rows';
import type { BuildRowsStep, ParsedRecord } from '../steps/build-rows.step';
import type { ParseRecordStep } from '../steps/parse-record.step';
import { createRecoverIntentStep } from './recover-intent';
import { RowBuildFailure } from './isolate-failed-inserts';
import { dlq, ok } from './results';

const TOPIC = 'runlog.metrics';

function record(offset: number): LogRecord {
  return {
    topic: TOPIC,
    partition: 0,
    offset,
    key: 'metrics:r',
    event: { stream: 'metrics:r', type: 'metrics.logged', payload: {} } as EventEnvelope,
  };
}

const batchFrom = (first: number, count = 3): ConsumedBatch => ({
  topic: TOPIC,
  partition: 0,
  records: Array.from({ length: count }, (_, index) => record(first + index)),
  highWatermark: first + count,
});

/**
 * The step against an intent of [5, 8] (4 rows) with token `t-5-8`, a log of offsets 0…99 and builds of one point a
 * record; `unbuildable` records make the build fail on them, as the pipeline's did before it dead-lettered them.
 */
function harness(
  options: { intent?: boolean; insertFails?: Error; rows?: number; unbuildable?: number[] } = {},
) {
  const intent = { topic: TOPIC, partition: 0, firstOffset: 5, lastOffset: 8, rows: options.rows ?? 4 };
  const { reader } = recordingReader({
    getProjectionIntent: options.intent === false ? [] : [{ ...intent, token: 't-5-8' }],
  });
  const { writer, columnar, inserts } = recordingWriter();
  if (options.insertFails) writer.insertColumns = () => Promise.reject(options.insertFails);
  const reads: number[][] = [];
  const built: number[][] = [];
  const skipped: string[] = [];
  const parseRecord = ((input: { record: LogRecord }) =>
    ok({ ...input, event: input.record.event })) as unknown as ParseRecordStep;
  const buildRows = (async (records: ParsedRecord[], needs: (r: LogRecord, t: string) => boolean) => {
    built.push(records.map(({ record }) => record.offset));
    const culprit = records.find(({ record }) => options.unbuildable?.includes(record.offset));
    if (culprit) return dlq('row_build_failed', new RowBuildFailure(culprit, new RangeError('not storable')));
    expect(needs(records[0].record, 'metric_points')).toBe(true);
    expect(needs(records[0].record, 'events')).toBe(false);
    const rows = new BatchRows();
    for (const {
      record: { topic, partition, offset },
    } of records) {
      rows.lines.metric_points.append('r', 'loss', [offset], [1], undefined, 0, { topic, partition, offset });
    }
    return ok(rows);
  }) as BuildRowsStep;
  const step = createRecoverIntentStep({
    reader,
    writer,
    log: {
      read: async (_topic, _partition, from, max) => {
        const page = Array.from({ length: Math.min(max, 100 - from) }, (_, index) => record(from + index));
        reads.push(page.map(({ offset }) => offset));
        return page;
      },
    },
    parseRecord,
    buildRows,
    skipped: (reason) => skipped.push(reason),
  });
  return { step, columnar, inserts, reads, built, skipped };
}

describe('recovering the last metric_points intent of a partition', () => {
  it('inserts the intent again, same records and token, when its offsets were never committed', async () => {
    const { step, columnar, inserts, built } = harness();
    expect(await step(batchFrom(5))).toBe(true);
    expect(built).toEqual([[5, 6, 7, 8]]);
    expect(columnar).toHaveLength(1);
    expect(columnar[0].settings).toEqual({
      insert_deduplication_token: 't-5-8',
      deduplicate_blocks_in_dependent_materialized_views: '1',
    });
    // The intent is written again first, under the same token.
    expect(inserts.map((insert) => insert.table)).toEqual(['projection_intents']);
    expect(inserts[0].body).toBe('runlog.metrics\t0\t5\t8\t4\tt-5-8\n');
  });

  it('does nothing when the intent lies below the committed position, or there is none', async () => {
    const committed = harness();
    expect(await committed.step(batchFrom(9))).toBe(false);
    expect(committed.columnar).toEqual([]);
    const none = harness({ intent: false });
    expect(await none.step(batchFrom(0))).toBe(false);
    expect(none.reads).toEqual([]);
  });

  it('checks again whenever a batch does not continue the last one: a restart, a retry, a rebalance', async () => {
    const { step, columnar } = harness();
    await step(batchFrom(5));
    step.advance(batchFrom(5));
    expect(await step(batchFrom(8))).toBe(false);
    expect(columnar).toHaveLength(1);
    // The partition went away and came back at its committed position.
    expect(await step(batchFrom(6))).toBe(true);
    step.forget();
    step.advance(batchFrom(2));
    expect(await step(batchFrom(5))).toBe(false);
    step.forget();
    expect(await step(batchFrom(5))).toBe(true);
    expect(columnar).toHaveLength(3);
  });

  it('leaves out a record the pipeline dead-lettered, and gives up when the rows differ from the intent', async () => {
    const dropped = harness({ unbuildable: [6], rows: 3 });
    expect(await dropped.step(batchFrom(5))).toBe(true);
    expect(dropped.built).toEqual([
      [5, 6, 7, 8],
      [5, 7, 8],
    ]);
    const differing = harness({ rows: 9 });
    expect(await differing.step(batchFrom(5))).toBe(false);
    expect(differing.columnar).toEqual([]);
    expect(differing.skipped[0]).toContain('4 rows rebuilt, 9 inserted then');
  });

  it('leaves a refused insert to the pipeline (data) and throws an outage for the batch to retry', async () => {
    const refused = Object.assign(new Error('Code: 27. DB::Exception: Cannot parse input'), {
      code: '27',
      type: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
    });
    const data = harness({ insertFails: refused });
    expect(await data.step(batchFrom(5))).toBe(false);
    expect(data.skipped).toHaveLength(1);
    const outage = harness({ insertFails: new Error('connect ECONNREFUSED') });
    await expect(outage.step(batchFrom(5))).rejects.toThrow('ECONNREFUSED');
  });
});
