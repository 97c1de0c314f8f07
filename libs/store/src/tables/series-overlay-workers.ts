import type { ClickhouseReader } from '../ports';

/*
 * Distributed training: the processes of one job (ranks, nodes) log into one run, each point labelled with its
 * worker ('' for the default worker). An overlay reads a series in one of these views:
 *
 * - all: every point whichever worker logged it (the view of a run without workers, and the only one the rollups
 *   can answer: they are kept across workers).
 * - each: one series per (run, key, worker).
 * - mean / min / max: one series per (run, key) whose point at a step is the mean / min / max over the workers of
 *   their value at that step. A worker's value at a step is its latest point there (by time, then log position),
 *   so a step a worker logged twice counts once. Only finite values are aggregated; a step where no worker has a
 *   finite value is NaN. The aggregated point's time is the latest of the workers' times at that step (the step is
 *   done when its last worker logged it).
 *
 * Views other than `all` read raw points (the rollups have no worker), so their reads grow with the raw points of
 * the series asked, while what they return stays within maxPoints per series like any overlay.
 */

export type WorkerView = 'all' | 'each' | 'mean' | 'min' | 'max';

/** What `each` may draw per (run, key): the gateway costs an `each` overlay at this many series per (run, key). */
export const MAX_WORKERS_PER_SERIES = 64;

/**
 * Where an overlay's raw-point queries read from, and which columns tell its series apart. `from` yields
 * run_id, key, step, value and timestamp (and worker for `each`), so the same bucket, LTTB and point queries
 * serve every view.
 */
export interface PointSource {
  from: string;
  /** The series' columns as the queries select them. */
  seriesColumns: string;
  /** The series' columns in GROUP BY, ORDER BY and LIMIT BY. */
  seriesKey: string;
}

const SELECTION = 'run_id IN {runIds:Array(String)} AND key IN {keys:Array(String)}';

/** Every point of metric_points: series are (run, key). Its SQL is what the overlay queries were before workers. */
export function rawPointSource(reader: ClickhouseReader): PointSource {
  return {
    from: `${reader.database}.metric_points`,
    seriesColumns: 'run_id AS runId, key',
    seriesKey: 'run_id, key',
  };
}

const AGGREGATES: Record<'mean' | 'min' | 'max', string> = { mean: 'avgIf', min: 'minIf', max: 'maxIf' };

/** The source of `view`'s points, over the overlay's selection (bound as runIds and keys). */
export function pointSource(reader: ClickhouseReader, view: WorkerView): PointSource {
  if (view === 'all') return rawPointSource(reader);
  if (view === 'each') {
    return {
      from: `${reader.database}.metric_points`,
      seriesColumns: 'run_id AS runId, key, worker',
      seriesKey: 'run_id, key, worker',
    };
  }
  const finite = 'isFinite(worker_value)';
  // minIf / maxIf of no row give 0, not NaN: a step without a finite value is made NaN explicitly.
  const value = `if(countIf(${finite}) > 0, ${AGGREGATES[view]}(worker_value, ${finite}), nan)`;
  return {
    from: `(SELECT run_id, key, step, ${value} AS value, max(worker_time) AS timestamp
       FROM (SELECT run_id, key, worker, step, argMax(value, (timestamp, _log_offset)) AS worker_value,
           max(timestamp) AS worker_time
         FROM ${reader.database}.metric_points WHERE ${SELECTION} GROUP BY run_id, key, worker, step)
       GROUP BY run_id, key, step)`,
    seriesColumns: 'run_id AS runId, key',
    seriesKey: 'run_id, key',
  };
}

/** An `each` overlay met a (run, key) with more workers than it draws. */
export class TooManyWorkersError extends Error {
  constructor(
    readonly runId: string,
    readonly key: string,
    readonly workers: number,
  ) {
    super(
      `run ${runId} key ${key} has ${workers} workers; EACH draws at most ${MAX_WORKERS_PER_SERIES} per series ` +
        '(MEAN, MIN or MAX aggregate them)',
    );
    this.name = 'TooManyWorkersError';
  }
}

/** A series: (run, key), with its worker in the `each` view. */
export function seriesId(runId: string, key: string, worker?: string | null): string {
  return JSON.stringify(worker == null ? [runId, key] : [runId, key, worker]);
}

/**
 * The `each` view's workers of every (run, key) with points, from its bounds rows: refused (TooManyWorkersError)
 * when a (run, key) has more than an `each` overlay is costed for.
 */
export class WorkersOfSeries {
  private readonly workers = new Map<string, string[]>();

  constructor(rows: Iterable<{ runId: string; key: string; worker?: string }> = []) {
    for (const { runId, key, worker } of rows) {
      if (worker === undefined) continue;
      const id = seriesId(runId, key);
      this.workers.set(id, [...(this.workers.get(id) ?? []), worker]);
    }
    for (const [id, workers] of this.workers) {
      const [runId, key] = JSON.parse(id) as [string, string];
      if (workers.length > MAX_WORKERS_PER_SERIES) throw new TooManyWorkersError(runId, key, workers.length);
      workers.sort();
    }
  }

  /** In label order; none when the (run, key) has no point in range. */
  of(runId: string, key: string): string[] {
    return this.workers.get(seriesId(runId, key)) ?? [];
  }
}
