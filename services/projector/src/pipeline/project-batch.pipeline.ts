import type { ConsumedBatch, LogRecord } from '../../../../libs/log/src/event-log';
import { PROJECTED_TABLES, type ProjectedTable } from '../../../../libs/store/src/tables/log-position';
import { describeRecord, type DeadLetterPayload } from '../dead-letters/dead-letter-events';
import { splitByPoints } from '../rows/event-rows';
import type { BuildRowsStep, NeedsRecord, ParsedRecord } from '../steps/build-rows.step';
import type { ParseRecordStep } from '../steps/parse-record.step';
import { describeError } from './insert-errors';
import { insertIsolatingFailures, type DeadLetterDraft } from './isolate-failed-inserts';
import type { ProjectionState } from './projection-state';

export interface ProjectBatchConfig {
  /** Rows per insert, at most (a single record larger than this still goes in one insert). */
  maxInsertRows: number;
}

export interface ProjectBatchDeps {
  parseRecord: ParseRecordStep;
  buildRows: BuildRowsStep;
  state: ProjectionState;
  insert(table: ProjectedTable, lines: readonly string[]): Promise<void>;
  ping(): Promise<boolean>;
  deadLettered(letters: DeadLetterPayload[]): Promise<void>;
  /** Called after a group of records landed and before the log records the position (the crash tests' hook). */
  afterInsert(): void;
}

export interface BatchCounts {
  groups: number;
  records: number;
  points: number;
  deadLetters: number;
}

/** The letter for a record, naming the tables that still need it when the step did not name them. */
export function letterFor(
  record: LogRecord,
  draft: { reason: string; step: string; tables?: readonly string[]; error: unknown },
  needs: NeedsRecord,
): DeadLetterPayload {
  return {
    ...describeRecord(record),
    reason: draft.reason,
    step: draft.step,
    tables: [...(draft.tables ?? PROJECTED_TABLES.filter((table) => needs(record, table)))],
    error: describeError(draft.error),
  };
}

/**
 * Log batch → ClickHouse, per group of at most maxInsertRows points: parse each record (dead-letter what cannot be
 * read) → build rows for the tables whose watermark is below it → one insert per table, a refused record isolated
 * and dead-lettered (isolate-failed-inserts.ts). The caller lets the log commit the position only after this
 * resolved; a throw (an outage) has the subscription deliver the batch again, and the watermarks skip what landed.
 */
export function createProjectBatchPipeline(config: ProjectBatchConfig, deps: ProjectBatchDeps) {
  return async function projectBatchPipeline(batch: ConsumedBatch): Promise<BatchCounts> {
    const counts: BatchCounts = { groups: 0, records: 0, points: 0, deadLetters: 0 };
    for (const records of splitByPoints(batch.records, config.maxInsertRows)) {
      const marks = await deps.state.watermarksFor(batch.topic, batch.partition);
      const needs: NeedsRecord = (record, table) => record.offset > (marks.get(table) ?? -1);
      const deadLetter = async (record: LogRecord, draft: DeadLetterDraft | ParseFailure) => {
        await deps.deadLettered([letterFor(record, draft, needs)]);
        counts.deadLetters += 1;
      };
      const parsed: ParsedRecord[] = [];
      for (const record of records) {
        const result = deps.parseRecord({ record });
        if (result.kind === 'ok') parsed.push(result.value);
        else if (PROJECTED_TABLES.some((table) => needs(record, table))) {
          await deadLetter(record, {
            reason: result.reason,
            step: deps.parseRecord.name,
            error: result.kind === 'dlq' ? result.error : result.reason,
          });
        }
      }
      await insertIsolatingFailures(parsed, {
        build: async (subset) => {
          const built = await deps.buildRows(subset, needs);
          if (built.kind !== 'ok') throw built.kind === 'dlq' ? built.error : new Error(built.reason);
          const rows = built.value;
          return {
            lines: rows.lines,
            landed(tables) {
              const last = subset[subset.length - 1].record.offset;
              for (const table of tables) marks.set(table, Math.max(marks.get(table) ?? -1, last));
              if (tables.includes('runs'))
                for (const [runId, { state }] of rows.touchedRuns) deps.state.cacheRun(runId, state);
              if (tables.includes('metric_points')) counts.points += rows.points;
            },
          };
        },
        insert: deps.insert,
        ping: deps.ping,
        deadLetter: (record, draft) => deadLetter(record.record, draft),
      });
      deps.afterInsert();
      counts.groups += 1;
      counts.records += records.length;
    }
    return counts;
  };
}

interface ParseFailure {
  reason: string;
  step: string;
  error: unknown;
}

export type ProjectBatchPipeline = ReturnType<typeof createProjectBatchPipeline>;
