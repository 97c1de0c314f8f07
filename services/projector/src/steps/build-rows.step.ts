import type { StoredEvent } from '../../../../libs/events/src/run.events';
import type { LogRecord } from '../../../../libs/log/src/event-log';
import type { ProjectedTable } from '../../../../libs/store/src';
import { RowBuildFailure } from '../pipeline/isolate-failed-inserts';
import { dlq, ok, type StepResult } from '../pipeline/results';
import { addEventRows, BatchRows, runIdOfStream, type ExperimentSnapshot } from '../rows/event-rows';
import type { RunState } from '../../../../libs/domain/src/run/run.decider';

export interface ParsedRecord {
  record: LogRecord;
  event: StoredEvent;
}

/** Where the snapshots a record evolves come from: the run cache, or the row ClickHouse holds. */
export interface BuildRowsDeps {
  runState(runId: string, rows: BatchRows): Promise<RunState | undefined>;
  experimentSnapshot(experimentId: string, rows: BatchRows): Promise<ExperimentSnapshot | undefined>;
}

/** Whether `table` still needs `record` (the projector skips tables whose watermark is at or past it). */
export type NeedsRecord = (record: LogRecord, table: ProjectedTable) => boolean;

/**
 * Rows of consecutive records, in offset order, for the tables that still need them. The row builders are a black
 * box that may throw for a value they cannot store: the result names the record that threw (or none, when a
 * snapshot row written at the end threw), so the pipeline dead-letters that record and builds the rest again.
 * Reading a snapshot from ClickHouse is not the record's fault: that error is thrown, and the batch retried.
 */
export function createBuildRowsStep(deps: BuildRowsDeps) {
  return async function buildRowsStep(
    records: ParsedRecord[],
    needs: NeedsRecord,
  ): Promise<StepResult<BatchRows>> {
    const rows = new BatchRows();
    for (const parsed of records) {
      const { record, event } = parsed;
      const needsTable = (table: ProjectedTable) => needs(record, table);
      const id = runIdOfStream(event.stream);
      const run =
        event.stream.startsWith('run:') && needsTable('runs') ? await deps.runState(id, rows) : undefined;
      const experiment =
        event.stream.startsWith('experiment:') && needsTable('experiments')
          ? await deps.experimentSnapshot(id, rows)
          : undefined;
      try {
        const position = { topic: record.topic, partition: record.partition, offset: record.offset };
        addEventRows(rows, event, position, needsTable, { run, experiment }, record.event);
      } catch (error) {
        return dlq('row_build_failed', new RowBuildFailure(parsed, error));
      }
    }
    try {
      rows.finishSnapshots();
    } catch (error) {
      return dlq('row_build_failed', new RowBuildFailure<ParsedRecord>(undefined, error));
    }
    return ok(rows);
  };
}

export type BuildRowsStep = ReturnType<typeof createBuildRowsStep>;
