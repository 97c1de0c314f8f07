import type { ConsumedBatch, EventLog, LogRecord } from '../../../../libs/log/src/event-log';
import {
  getProjectionIntent,
  insertMetricPoints,
  type ClickhouseReader,
  type ClickhouseWriter,
  type MetricPointColumns,
} from '../../../../libs/store/src';
import type { BuildRowsStep, ParsedRecord } from '../steps/build-rows.step';
import type { ParseRecordStep } from '../steps/parse-record.step';
import { classifyInsertFailure } from './insert-errors';
import { RowBuildFailure } from './isolate-failed-inserts';

export interface RecoverIntentDeps {
  reader: ClickhouseReader;
  writer: ClickhouseWriter;
  log: Pick<EventLog, 'read'>;
  parseRecord: ParseRecordStep;
  buildRows: BuildRowsStep;
  /** Said when the intent's records cannot be inserted again as they were (the pipeline then goes on as usual). */
  skipped(reason: string): void;
}

/**
 * A batch that does not continue where this process's last batch of the partition ended begins at the group's
 * committed position: after a start, a failed batch, or a rebalance that handed the partition over. If the
 * partition's last metric_points intent reaches that far, its insert was never committed: it may have stopped
 * between metric_points and the views fed from it. The same records are inserted again under the intent's token
 * (migration 009): tables that hold the block drop it, views that missed it get it. Then the batch goes on as usual,
 * its watermarks read afresh.
 */
export function createRecoverIntentStep(deps: RecoverIntentDeps) {
  /** Per partition, the offset after the last batch this process projected. */
  const next = new Map<string, number>();
  const keyOf = (batch: ConsumedBatch) => `${batch.topic}/${batch.partition}`;

  async function recoverIntentStep(batch: ConsumedBatch): Promise<boolean> {
    if (batch.records.length === 0) return false;
    const committed = batch.records[0].offset;
    if (next.get(keyOf(batch)) === committed) return false;
    const intent = await getProjectionIntent(deps.reader, batch.topic, batch.partition);
    if (!intent || intent.lastOffset < committed) return false;
    const where = `${keyOf(batch)} ${intent.token}`;
    const records = await readRange(
      deps.log,
      batch.topic,
      batch.partition,
      intent.firstOffset,
      intent.lastOffset,
    );
    const points = await buildWithout(deps, records);
    // The token names the rows it covered: anything else (records gone from the log, a changed build) would put
    // other rows under it.
    if (points.length !== intent.rows) {
      deps.skipped(`${where}: ${points.length} rows rebuilt, ${intent.rows} inserted then`);
      return false;
    }
    try {
      await insertMetricPoints(deps.writer, points, intent.token);
      return true;
    } catch (error) {
      // Refused for its data: the pipeline isolates and dead-letters that record as it would have.
      if (classifyInsertFailure(error) !== 'data') throw error;
      deps.skipped(`${where}: refused again: ${String(error)}`);
      return false;
    }
  }

  return Object.assign(recoverIntentStep, {
    /** The batch landed and its position will be committed: the partition's next batch continues it. */
    advance(batch: ConsumedBatch) {
      if (batch.records.length > 0)
        next.set(keyOf(batch), batch.records[batch.records.length - 1].offset + 1);
    },
    forget: () => next.clear(),
  });
}

/** The intent's metric rows, without the records the pipeline dead-lettered when it built them. */
async function buildWithout(deps: RecoverIntentDeps, records: LogRecord[]): Promise<MetricPointColumns> {
  let parsed: ParsedRecord[] = [];
  for (const record of records) {
    const result = deps.parseRecord({ record });
    if (result.kind === 'ok') parsed.push(result.value);
  }
  for (;;) {
    const built = await deps.buildRows(parsed, (_, table) => table === 'metric_points');
    if (built.kind === 'ok') return built.value.lines.metric_points;
    const failure = built.kind === 'dlq' ? built.error : null;
    const culprit =
      failure instanceof RowBuildFailure ? (failure.record as ParsedRecord | undefined) : undefined;
    if (!culprit) throw failure ?? new Error(built.reason);
    parsed = parsed.filter((item) => item !== culprit);
  }
}

async function readRange(
  log: Pick<EventLog, 'read'>,
  topic: string,
  partition: number,
  first: number,
  last: number,
): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  for (let offset = first; offset <= last;) {
    const page = await log.read(topic, partition, offset, Math.min(1_000, last - offset + 1));
    if (page.length === 0) break;
    for (const record of page) if (record.offset <= last) records.push(record);
    offset = page[page.length - 1].offset + 1;
  }
  return records;
}

export type RecoverIntentStep = ReturnType<typeof createRecoverIntentStep>;
