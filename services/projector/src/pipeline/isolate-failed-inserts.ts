import type { ProjectedTable, TableRows } from '../../../../libs/store/src';
import { classifyInsertFailure, describeError, EngineUnavailableError } from './insert-errors';

/** Rows could not be built; `record` is the one that threw, when known (a snapshot formatted at the end is not). */
export class RowBuildFailure<R> extends Error {
  constructor(
    readonly record: R | undefined,
    readonly error: unknown,
  ) {
    super(`row build failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

export interface BuiltRows {
  lines: Partial<Record<ProjectedTable, TableRows>>;
  /** The inserts were handed to the engine and are running (the pipeline prepares the next group meanwhile). */
  issued?(): void;
  /** The inserts of these tables landed: move their watermarks, keep the snapshots they wrote. */
  landed(tables: ProjectedTable[]): void;
}

export interface DeadLetterDraft {
  reason: 'insert_failed' | 'row_build_failed';
  step: string;
  /** The tables that refused it; absent when every table the record still needs is concerned. */
  tables?: ProjectedTable[];
  error: unknown;
}

export interface IsolationDeps<R> {
  /** Rows of these records for the tables that do not hold them yet (watermarks); throws RowBuildFailure. */
  build(records: R[]): Promise<BuiltRows>;
  insert(table: ProjectedTable, rows: TableRows): Promise<void>;
  /** Whether the engine answers; false (or a throw) stops isolation before anything is dead-lettered. */
  ping(): Promise<boolean>;
  deadLetter(record: R, letter: DeadLetterDraft): Promise<void>;
}

const INSERT_STEP = 'insertRowsStep';
const BUILD_STEP = 'buildRowsStep';

/**
 * Inserts the rows of `records` (one insert per table, each landing whole or not at all). An insert refused for
 * its data is narrowed down by halving the range, each half rebuilt against the watermarks the landed inserts
 * moved (so a table that took a half is not written again), until the one record is found and dead-lettered.
 * Anything else (an outage, a timeout, an error not known to be about data) is thrown for the subscription to
 * retry with backoff; so is a refused single record while the engine does not answer a ping.
 */
export async function insertIsolatingFailures<R>(records: R[], deps: IsolationDeps<R>): Promise<void> {
  if (records.length === 0) return;
  let built: BuiltRows;
  try {
    built = await deps.build(records);
  } catch (error) {
    if (!(error instanceof RowBuildFailure)) throw error;
    const failure = error as RowBuildFailure<R>;
    if (failure.record !== undefined || records.length === 1) {
      const culprit = failure.record ?? records[0];
      await deps.deadLetter(culprit, { reason: 'row_build_failed', step: BUILD_STEP, error: failure.error });
      return insertIsolatingFailures(
        records.filter((record) => record !== culprit),
        deps,
      );
    }
    return bisect(records, deps);
  }
  const tables = (Object.keys(built.lines) as ProjectedTable[]).filter(
    (table) => (built.lines[table]?.length ?? 0) > 0,
  );
  const inserts = tables.map((table) => deps.insert(table, built.lines[table]!));
  built.issued?.();
  const outcomes = await Promise.allSettled(inserts);
  built.landed(tables.filter((_, index) => outcomes[index].status === 'fulfilled'));
  const failures = tables.flatMap((table, index) => {
    const outcome = outcomes[index];
    return outcome.status === 'rejected' ? [{ table, error: outcome.reason as unknown }] : [];
  });
  if (failures.length === 0) return;
  const transient = failures.find((failure) => classifyInsertFailure(failure.error) === 'transient');
  if (transient) throw transient.error;
  if (records.length > 1) return bisect(records, deps);
  const answers = await deps.ping().catch(() => false);
  if (!answers) throw new EngineUnavailableError(failures[0].error);
  await deps.deadLetter(records[0], {
    reason: 'insert_failed',
    step: INSERT_STEP,
    tables: failures.map((failure) => failure.table),
    // The engine's own words, per table: the dead letter is where an operator reads why.
    error: new Error(
      failures.map((failure) => `${failure.table}: ${describeError(failure.error)}`).join('; '),
    ),
  });
}

/** Halves in log order: the first half lands (or is isolated) before the second is built on top of it. */
async function bisect<R>(records: R[], deps: IsolationDeps<R>): Promise<void> {
  const middle = Math.ceil(records.length / 2);
  await insertIsolatingFailures(records.slice(0, middle), deps);
  await insertIsolatingFailures(records.slice(middle), deps);
}
