/**
 * `npm run bench -- --profile mlflow [--steps 10000] [--history 100000] [--search-runs 5000] [--creates 200]`:
 * Runlog side by side with MLflow on this machine. MLflow (pinned, from PyPI, into a venv under ~/.cache/runlog)
 * runs its own server on SQLite with its artifact proxy; Runlog runs `npm start`'s process on the embedded engines.
 * Each workload runs through the same mlflow client against both servers (bench/mlflow/workloads.py), then through
 * Runlog's native API, in one run, one after the other: ingest of 16 runs × 5 keys × N steps, a history read of
 * one long series, search_runs with a filter and an order over many runs, and run creation latency.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ensurePythonVenv,
  MLFLOW_SERVER,
  MLFLOW_SERVER_VERSION,
  runMlflowScript,
  startMlflowServer,
} from '../test/support/mlflow-python';
import { waitForProjection } from '../test/support/runlog-client';
import { startRunlog } from '../test/support/runlog-process';
import { barChartSvg } from './support';
import {
  FILTER,
  nativeCreate,
  nativeHistory,
  nativeIngest,
  nativeSearch,
  ORDER_BY,
} from './mlflow-native-paths';

export interface MlflowBenchOptions {
  runs: number;
  keys: number;
  steps: number;
  history: number;
  searchRuns: number;
  creates: number;
  concurrency: number;
}

export function parseMlflowArgs(args: string[]): MlflowBenchOptions {
  const options: MlflowBenchOptions = {
    runs: 16,
    keys: 5,
    steps: 10_000,
    history: 100_000,
    searchRuns: 5_000,
    creates: 200,
    concurrency: 4,
  };
  const flags: Record<string, keyof MlflowBenchOptions> = {
    '--steps': 'steps',
    '--history': 'history',
    '--search-runs': 'searchRuns',
    '--creates': 'creates',
    '--concurrency': 'concurrency',
  };
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] === '--profile') continue;
    const key = flags[args[i]];
    if (!key) throw new Error(`unknown flag ${args[i]}: ${Object.keys(flags).join(' ')}`);
    options[key] = Number(args[i + 1]);
  }
  return options;
}

/** One workload's figure on each path: higher is better for rates, lower for times. */
export interface Figure {
  workload: string;
  /** A few words for the chart. */
  label: string;
  unit: string;
  higherIsBetter: boolean;
  mlflow: number;
  dialect: number;
  native: number;
}

export interface MlflowBenchResult {
  mlflowVersion: string;
  mlflowBackend: string;
  options: MlflowBenchOptions;
  figures: Figure[];
}

const WORKLOADS = resolve(__dirname, '../../bench/mlflow/workloads.py');

export async function benchMlflow(options: MlflowBenchOptions): Promise<MlflowBenchResult> {
  console.log(
    `MLflow ${MLFLOW_SERVER_VERSION} (server on SQLite) from PyPI, into ~/.cache/runlog if not there…`,
  );
  const python = await ensurePythonVenv(MLFLOW_SERVER);
  const dir = mkdtempSync(join(tmpdir(), 'runlog-mlflow-bench-'));
  const mlflow = await startMlflowServer(python, join(dir));
  const runlog = await startRunlog(join(dir, 'runlog')).catch((error: unknown) => {
    // Not left running when Runlog cannot start.
    mlflow.child.kill('SIGTERM');
    throw error;
  });
  // Each measured phase starts with Runlog's projector idle: it must not be still projecting the last phase's
  // points on the same two cores while the next phase is timed.
  const settled = () => waitForProjection(runlog.base, 600_000);
  const workload = async <T>(name: string, base: string, input: object) => {
    await settled();
    console.log(`  ${name} against ${base === mlflow.base ? 'MLflow' : 'Runlog (MLflow dialect)'}…`);
    return runMlflowScript<T>(
      WORKLOADS,
      base,
      {},
      { python, args: [name, JSON.stringify(input)], progress: true },
    );
  };
  try {
    const figures: Figure[] = [];
    const ingestInput = {
      runs: options.runs,
      keys: options.keys,
      steps: options.steps,
      concurrency: options.concurrency,
    };
    console.log(
      `ingest: ${options.runs} runs × ${options.keys} keys × ${options.steps.toLocaleString('en')} steps`,
    );
    type Ingest = { points_per_second: number };
    const ingestMlflow = await workload<Ingest>('ingest', mlflow.base, ingestInput);
    const ingestDialect = await workload<Ingest>('ingest', runlog.base, ingestInput);
    await settled();
    console.log('  ingest through the native API…');
    figures.push({
      workload: `ingest, ${options.runs}×${options.keys}×${options.steps.toLocaleString('en')} points`,
      label: 'ingest',
      unit: 'points/s',
      higherIsBetter: true,
      mlflow: ingestMlflow.points_per_second,
      dialect: ingestDialect.points_per_second,
      native: await nativeIngest(runlog.base, options),
    });
    // The same native ingest into a process with the ingest role alone: the log acknowledges while projection waits
    // for its own process (the deployment shape at scale; on two cores the projector otherwise shares the CPU).
    console.log('  ingest through the native API, ingest role alone…');
    const ingestOnly = await startRunlog(join(dir, 'runlog-ingest'), { RUNLOG_ROLES: 'ingest' });
    try {
      figures.push({
        workload: 'ingest, native API, ingest role alone (projection in its own process)',
        label: 'ingest, ingest role alone',
        unit: 'points/s',
        higherIsBetter: true,
        mlflow: ingestMlflow.points_per_second,
        dialect: NaN,
        native: await nativeIngest(ingestOnly.base, options),
      });
    } finally {
      await ingestOnly.stop();
    }

    console.log(`history: one series of ${options.history.toLocaleString('en')} points`);
    type History = { seconds: number; run_id: string };
    const historyInput = { points: options.history, repeats: 5 };
    const historyMlflow = await workload<History>('history', mlflow.base, historyInput);
    const historyDialect = await workload<History>('history', runlog.base, historyInput);
    figures.push({
      workload: `history read, ${options.history.toLocaleString('en')} points`,
      label: 'history read',
      unit: 's',
      higherIsBetter: false,
      mlflow: historyMlflow.seconds,
      dialect: historyDialect.seconds,
      native: await settled().then(() => nativeHistory(runlog.base, historyDialect.run_id)),
    });

    console.log(`search: ${options.searchRuns.toLocaleString('en')} runs, filter and order, every page`);
    type Search = { seconds: number; found: number; experiment_id: string };
    const searchInput = {
      runs: options.searchRuns,
      concurrency: options.concurrency,
      repeats: 5,
      filter: FILTER,
      order_by: ORDER_BY,
      page: 1000,
    };
    const searchMlflow = await workload<Search>('search', mlflow.base, searchInput);
    const searchDialect = await workload<Search>('search', runlog.base, searchInput);
    const searchNative = await settled().then(() => nativeSearch(runlog.base, searchDialect.experiment_id));
    if (new Set([searchMlflow.found, searchDialect.found, searchNative.found]).size !== 1) {
      throw new Error(
        `the searches found different counts: ${searchMlflow.found}, ${searchDialect.found}, ${searchNative.found}`,
      );
    }
    figures.push({
      workload: `search_runs, ${options.searchRuns.toLocaleString('en')} runs (${searchMlflow.found} found)`,
      label: 'search_runs',
      unit: 's',
      higherIsBetter: false,
      mlflow: searchMlflow.seconds,
      dialect: searchDialect.seconds,
      native: searchNative.seconds,
    });

    console.log(`run creation: ${options.creates} runs, one at a time`);
    type Create = { p50_ms: number };
    const createMlflow = await workload<Create>('create', mlflow.base, { runs: options.creates });
    const createDialect = await workload<Create>('create', runlog.base, { runs: options.creates });
    figures.push({
      workload: 'run creation latency, p50',
      label: 'run creation',
      unit: 'ms',
      higherIsBetter: false,
      mlflow: createMlflow.p50_ms,
      dialect: createDialect.p50_ms,
      native: await settled().then(() => nativeCreate(runlog.base, options.creates)),
    });
    return {
      mlflowVersion: MLFLOW_SERVER_VERSION,
      mlflowBackend:
        'SQLite (mlflow server --backend-store-uri sqlite:///…, --artifacts-destination, 1 worker)',
      options,
      figures,
    };
  } finally {
    mlflow.child.kill('SIGTERM');
    await runlog.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How many times better Runlog's figure is than MLflow's (above 1: Runlog is faster). */
export function speedup(figure: Figure, path: 'dialect' | 'native'): number {
  return figure.higherIsBetter ? figure[path] / figure.mlflow : figure.mlflow / figure[path];
}

/** Times faster than MLflow, per workload and path (bars of the dialect and of the native API). */
export function mlflowChartSvg(result: MlflowBenchResult): string {
  return barChartSvg(
    `Runlog against MLflow ${result.mlflowVersion} (SQLite): times faster (higher is better)`,
    '×',
    result.figures.flatMap((figure) => [
      ...(Number.isNaN(figure.dialect) || figure.dialect === null
        ? []
        : [{ label: `${figure.label}: MLflow dialect`, value: speedup(figure, 'dialect') }]),
      { label: `${figure.label}: native API`, value: speedup(figure, 'native') },
    ]),
  );
}
