import type { ConsumedBatch, EventLog, LogRecord } from '../../../../libs/log/src/event-log';
import {
  getProjectionIntent,
  insertMetricPoints,
  type ClickhouseReader,
  type ClickhouseWriter,
} from '../../../../libs/store/src';
import type { BuildRowsStep, ParsedRecord } from '../steps/build-rows.step';
import type { ParseRecordStep } from '../steps/parse-record.step';
import { classifyInsertFailure } from './insert-errors';

export interface RecoverIntentDeps {
  reader: ClickhouseReader;
  writer: ClickhouseWriter;
  log: Pick<EventLog, 'read'>;
  parseRecord: ParseRecordStep;
  buildRows: BuildRowsStep;
  /** Said when the intent's records cannot be built or inserted again for what they hold (the pipeline decides). */
  skipped(reason: string): void;
}

/**
 * The first batch of a partition after a start (or a failed batch) begins at the group's committed position. If
 * the partition's last metric_points intent reaches that far, its insert was never committed: it may have stopped
 * between metric_points and the views fed from it. The same records are inserted again under the intent's token
 * (migration 009): tables that hold the block drop it, views that missed it get it. Then the batch goes on as
 * usual, its watermarks read afresh. Once per partition until forgotten.
 */
export function createRecoverIntentStep(deps: RecoverIntentDeps) {
  const checked = new Set<string>();
  async function recoverIntentStep(batch: ConsumedBatch): Promise<boolean> {
    const key = `${batch.topic}/${batch.partition}`;
    if (checked.has(key) || batch.records.length === 0) return false;
    const committed = batch.records[0].offset;
    const intent = await getProjectionIntent(deps.reader, batch.topic, batch.partition);
    let recovered = false;
    if (intent && intent.lastOffset >= committed) {
      const records = await readRange(
        deps.log,
        batch.topic,
        batch.partition,
        intent.firstOffset,
        intent.lastOffset,
      );
      const parsed: ParsedRecord[] = [];
      for (const record of records) {
        const result = deps.parseRecord({ record });
        if (result.kind === 'ok') parsed.push(result.value);
      }
      const built = await deps.buildRows(parsed, (_, table) => table === 'metric_points');
      if (built.kind !== 'ok')
        deps.skipped(`rows of ${key} ${intent.token} cannot be built: ${built.reason}`);
      else {
        try {
          await insertMetricPoints(deps.writer, built.value.lines.metric_points, intent.token);
          recovered = true;
        } catch (error) {
          // Refused for its data: the pipeline isolates and dead-letters that record as it would have.
          if (classifyInsertFailure(error) !== 'data') throw error;
          deps.skipped(`${key} ${intent.token} refused again: ${String(error)}`);
        }
      }
    }
    checked.add(key);
    return recovered;
  }
  return Object.assign(recoverIntentStep, { forget: () => checked.clear() });
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
