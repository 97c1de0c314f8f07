import type { ConsumedBatch, LogRecord } from '../../../../libs/log/src/event-log';
import { PROJECTED_TABLES, type ProjectedTable, type TableRows } from '../../../../libs/store/src';
import { describeRecord, type DeadLetterPayload } from '../dead-letters/dead-letter-events';
import { splitByPoints } from '../rows/event-rows';
import type { BatchRows } from '../rows/event-rows';
import type { BuildRowsStep, NeedsRecord, ParsedRecord } from '../steps/build-rows.step';
import type { ParseRecordStep } from '../steps/parse-record.step';
import { describeError } from './insert-errors';
import { insertIsolatingFailures, type DeadLetterDraft } from './isolate-failed-inserts';
import type { ProjectionState } from './projection-state';
import type { StepResult } from './results';

export interface ProjectBatchConfig {
  /** Rows per insert, at most (a single record larger than this still goes in one insert). */
  maxInsertRows: number;
}

export interface ProjectBatchDeps {
  parseRecord: ParseRecordStep;
  buildRows: BuildRowsStep;
  state: ProjectionState;
  insert(table: ProjectedTable, rows: TableRows): Promise<void>;
  ping(): Promise<boolean>;
  deadLettered(letters: DeadLetterPayload[]): Promise<void>;
  /** Called after a group of records of `topic` landed and before the log records the position (the crash tests' hook). */
  afterInsert(topic: string): void;
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

/** A group parsed, and its rows being built (maybe ahead, while the previous group's insert runs). */
interface PreparedGroup {
  records: LogRecord[];
  parsed: ParsedRecord[];
  parseFailures: { record: LogRecord; failure: ParseFailure }[];
  /** The rows of all of `parsed`; taken by the first build of the group, later subsets are built afresh. */
  rows: Promise<StepResult<BatchRows>> | null;
}

/**
 * Log batch → ClickHouse, per group of at most maxInsertRows points: parse each record (dead-letter what cannot be
 * read) → build rows for the tables whose watermark is below it → one insert per table, a refused record isolated
 * and dead-lettered (isolate-failed-inserts.ts). The caller lets the log commit the position only after this
 * resolved; a throw (an outage) has the subscription deliver the batch again, and the watermarks skip what landed.
 *
 * Pipelined one group ahead: once a group's inserts are issued (the engine parses them off the main thread), the
 * next group is parsed and its rows built. That is exact because the next group's offsets are all above this one's,
 * so the watermarks this group moves cannot change what the next one needs; and it is done only when this group
 * changed no run or experiment snapshot, the one state a group reads that the previous group's landing writes.
 */
export function createProjectBatchPipeline(config: ProjectBatchConfig, deps: ProjectBatchDeps) {
  return async function projectBatchPipeline(batch: ConsumedBatch): Promise<BatchCounts> {
    const counts: BatchCounts = { groups: 0, records: 0, points: 0, deadLetters: 0 };
    const marks = await deps.state.watermarksFor(batch.topic, batch.partition);
    const needs: NeedsRecord = (record, table) => record.offset > (marks.get(table) ?? -1);
    const deadLetter = async (record: LogRecord, draft: DeadLetterDraft | ParseFailure) => {
      await deps.deadLettered([letterFor(record, draft, needs)]);
      counts.deadLetters += 1;
    };
    const prepare = (records: LogRecord[]): PreparedGroup => {
      const group: PreparedGroup = { records, parsed: [], parseFailures: [], rows: null };
      for (const record of records) {
        const result = deps.parseRecord({ record });
        if (result.kind === 'ok') group.parsed.push(result.value);
        else if (PROJECTED_TABLES.some((table) => needs(record, table))) {
          const error = result.kind === 'dlq' ? result.error : result.reason;
          group.parseFailures.push({
            record,
            failure: { reason: result.reason, step: deps.parseRecord.name, error },
          });
        }
      }
      group.rows = deps.buildRows(group.parsed, needs);
      // Abandoned when this batch fails before the group's turn: its rejection is the batch's retry, not a crash.
      group.rows.catch(() => undefined);
      return group;
    };
    const groups = splitByPoints(batch.records, config.maxInsertRows);
    let next: PreparedGroup | null = null;
    for (let index = 0; index < groups.length; index++) {
      const group: PreparedGroup = next ?? prepare(groups[index]);
      next = null;
      for (const { record, failure } of group.parseFailures) await deadLetter(record, failure);
      let issued = false;
      // Decided on the whole group, not on the part first issued: after a split, a later half may still change
      // a snapshot the next group would read.
      const changesNoSnapshot = group.parsed.every(
        ({ event }) => !event.stream.startsWith('run:') && !event.stream.startsWith('experiment:'),
      );
      const prepareNextWhileInserting = () => {
        if (issued || index + 1 >= groups.length || !changesNoSnapshot) return;
        issued = true;
        try {
          next = prepare(groups[index + 1]);
        } catch {
          // Prepared again in its turn, where whatever threw fails the batch as it would have without the lookahead.
          next = null;
        }
      };
      await insertIsolatingFailures(group.parsed, {
        build: async (subset) => {
          const prebuilt = subset === group.parsed ? group.rows : null;
          group.rows = null;
          const built = await (prebuilt ?? deps.buildRows(subset, needs));
          if (built.kind !== 'ok') throw built.kind === 'dlq' ? built.error : new Error(built.reason);
          const rows = built.value;
          return {
            lines: rows.lines,
            issued: prepareNextWhileInserting,
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
      deps.afterInsert(batch.topic);
      counts.groups += 1;
      counts.records += group.records.length;
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
