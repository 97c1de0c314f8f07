/**
 * `npm run bench -- --profile queries [--runs 100000] [--points 10000000] [--reads 30]`: the dashboard queries of
 * issue 12 through GraphQL (HTTP, one standalone process, embedded engines) on a prepared store: an experiment of
 * R runs with params, tags and metric summaries, one run of P raw points, 100 runs of 10,000 points for an overlay,
 * and a sweep of 1,000 runs. The store is filled in the engine (INSERT … SELECT from numbers(), the materialized
 * views fill summaries and rollups as for projected rows); the server then reads it as it reads projections.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClickHouse, type ClickHouse } from '../libs/store/src';
import { startRunlog } from '../test/support/runlog-process';
import { quantiles, type Quantiles } from './support';

export interface QueriesOptions {
  runs: number;
  points: number;
  reads: number;
}

export interface QueryFigure {
  name: string;
  target: string;
  ms: Quantiles;
}

const EXPERIMENT = 'bench-experiment';
const SWEEP = 'bench-sweep';
const BIG_RUN = 'bench-big-run';
const OVERLAY_RUNS = 100;
const OVERLAY_POINTS = 10_000;
const SWEEP_RUNS = 1_000;

export function parseQueriesArgs(args: string[]): QueriesOptions {
  const options: QueriesOptions = { runs: 100_000, points: 10_000_000, reads: 30 };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (flag === '--profile') continue;
    if (flag === '--runs' || flag === '--points' || flag === '--reads')
      options[flag.slice(2) as keyof QueriesOptions] = Number(value);
    else throw new Error(`unknown flag ${flag}: --runs --points --reads`);
  }
  return options;
}

export async function fill(ch: ClickHouse, options: QueriesOptions): Promise<void> {
  const db = ch.database;
  const command = (sql: string) =>
    ch.client.command({ query: sql, clickhouse_settings: { max_insert_threads: '1' } });
  const runId = (expr: string) => `concat('run-', toString(${expr}))`;
  const started = Date.now();
  const step = (what: string) => console.log(`  ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  // Runs 0..R-1 in the experiment; the first SWEEP_RUNS of them also in the sweep.
  await command(`INSERT INTO ${db}.runs (run_id, experiment_id, name, status, start_time, created_at, sweep_id, _version)
    SELECT ${runId('number')}, '${EXPERIMENT}', concat('trial-', toString(number)),
      ['finished', 'failed', 'running', 'killed'][number % 4 + 1],
      fromUnixTimestamp64Milli(toInt64(1700000000000 + number * 1000), 'UTC'),
      fromUnixTimestamp64Milli(toInt64(1700000000000 + number * 1000), 'UTC'),
      if(number < ${SWEEP_RUNS}, '${SWEEP}', NULL), 1
    FROM numbers(${options.runs})`);
  await command(`INSERT INTO ${db}.sweeps (sweep_id, experiment_id, name, method, search_space, objective_metric, objective_goal, created_at, _version)
    VALUES ('${SWEEP}', '${EXPERIMENT}', 'lr sweep', 'random', '{"lr":{"min":0.0001,"max":0.1}}', 'loss', 'minimize', now64(3), 1)`);
  step(`${options.runs.toLocaleString('en')} runs and a sweep`);
  await command(`INSERT INTO ${db}.params (run_id, key, value, value_num, _version)
    SELECT ${runId('intDiv(number, 3)')}, ['lr', 'batch', 'optimizer'][number % 3 + 1] AS key,
      multiIf(key = 'lr', toString(round(0.0001 * (1 + intDiv(number, 3) % 1000), 4)),
              key = 'batch', toString(16 * (1 + intDiv(number, 3) % 8)),
              ['adam', 'sgd', 'adamw'][intDiv(number, 3) % 3 + 1]) AS value,
      toFloat64OrNull(value), 1
    FROM numbers(${options.runs * 3})`);
  await command(`INSERT INTO ${db}.tags (run_id, key, value, _version, _is_deleted)
    SELECT ${runId('number')}, 'team', ['vision', 'nlp', 'speech', 'rl'][number % 4 + 1], 1, 0 FROM numbers(${options.runs})`);
  step('params and tags');
  // Two metrics per run, two points each: summaries (and rollups) come from the views.
  await command(`INSERT INTO ${db}.metric_points (run_id, key, step, value, timestamp)
    SELECT ${runId('intDiv(number, 4)')}, if(number % 4 < 2, 'acc', 'loss'), number % 2,
      if(number % 4 < 2, (cityHash64(intDiv(number, 4)) % 10000) / 10000, 1 / (1 + number % 997)),
      fromUnixTimestamp64Milli(toInt64(1700000000000 + number), 'UTC')
    FROM numbers(${options.runs * 4})`);
  step('metric summaries');
  await command(`INSERT INTO ${db}.metric_points (run_id, key, step, value, timestamp)
    SELECT concat('overlay-', toString(intDiv(number, ${OVERLAY_POINTS}))), 'loss', number % ${OVERLAY_POINTS},
      1 / (1 + number % ${OVERLAY_POINTS}) + sin(number) / 100, fromUnixTimestamp64Milli(toInt64(1700000000000 + number), 'UTC')
    FROM numbers(${OVERLAY_RUNS * OVERLAY_POINTS})`);
  step(`${OVERLAY_RUNS} overlay runs × ${OVERLAY_POINTS.toLocaleString('en')} points`);
  await command(`INSERT INTO ${db}.metric_points (run_id, key, step, value, timestamp)
    SELECT '${BIG_RUN}', 'loss', number, 1 / (1 + number) + sin(number) / 100,
      fromUnixTimestamp64Milli(toInt64(1700000000000 + number), 'UTC')
    FROM numbers(${options.points})`);
  step(`one run of ${options.points.toLocaleString('en')} points`);
}

async function graphql(base: string, query: string, variables: Record<string, unknown> = {}): Promise<void> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(`GraphQL: ${body.errors[0].message}`);
}

async function measure(
  name: string,
  target: string,
  reads: number,
  run: () => Promise<void>,
): Promise<QueryFigure> {
  for (let i = 0; i < 3; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < reads; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  const ms = quantiles(samples);
  console.log(`  ${name}: p50 ${ms.p50.toFixed(1)} ms, p99 ${ms.p99.toFixed(1)} ms (target ${target})`);
  return { name, target, ms };
}

export async function benchQueries(options: QueriesOptions): Promise<QueryFigure[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'runlog-queries-'));
  try {
    // The server makes the schema; the store is then filled in the engine while no server holds it.
    await (await startRunlog(dataDir)).stop();
    console.log('preparing the store…');
    const ch = createClickHouse({ chdbPath: join(dataDir, 'clickhouse'), database: 'runlog' });
    try {
      await fill(ch, options);
    } finally {
      await ch.close();
    }
    const server = await startRunlog(dataDir);
    try {
      const { base } = server;
      const { reads } = options;
      const figures: QueryFigure[] = [];
      const all = `experimentIds: ["${EXPERIMENT}"]`;
      figures.push(
        await measure(
          `filtered top-10 over ${options.runs.toLocaleString('en')} runs`,
          'p50 ≤ 50 ms',
          reads,
          () =>
            graphql(
              base,
              `{ topRuns(${all}, metric: "acc", mode: MAX, k: 10,
            filter: "params.lr < 0.05 and tags.team = 'vision' and attributes.status = 'FINISHED'") { value run { id name } } }`,
            ),
        ),
      );
      figures.push(
        await measure('searchRuns: filter, order by a metric, first page of 50', '—', reads, () =>
          graphql(
            base,
            `{ searchRuns(${all}, filter: "metrics.loss < 0.5 and params.optimizer = 'adam'",
            orderBy: ["metrics.acc DESC"], first: 50) { edges { node { id } } pageInfo { endCursor } } }`,
          ),
        ),
      );
      const overlay = Array.from({ length: OVERLAY_RUNS }, (_, r) => `overlay-${r}`);
      figures.push(
        await measure(
          `overlay of ${OVERLAY_RUNS} runs × 1,000 points: one metricSeries request (MINMAX)`,
          '≤ 100 ms',
          reads,
          () =>
            graphql(
              base,
              `
                query ($runIds: [ID!]!) {
                  metricSeries(runIds: $runIds, keys: ["loss"], maxPoints: 1000) {
                    series {
                      runId
                      bucketColumns {
                        x
                        min
                        max
                        avg
                        last
                      }
                    }
                  }
                }
              `,
              { runIds: overlay },
            ),
        ),
      );
      figures.push(
        await measure(
          `the same overlay as ${OVERLAY_RUNS} runMetricSeries requests at once (before)`,
          '—',
          reads,
          async () => {
            await Promise.all(
              overlay.map((runId) =>
                graphql(
                  base,
                  `
                    query ($runId: ID!) {
                      runMetricSeries(runId: $runId, key: "loss", maxPoints: 1000) {
                        points {
                          step
                          value
                        }
                      }
                    }
                  `,
                  { runId },
                ),
              ),
            );
          },
        ),
      );
      figures.push(
        await measure('a page of 5,000 runs with their metric summaries', '≤ 500 ms', reads, () =>
          graphql(
            base,
            `{ runs(experimentId: "${EXPERIMENT}", limit: 5000) { id name status metrics { key last } } }`,
          ),
        ),
      );
      figures.push(
        await measure('compareRuns of 10 runs', '—', reads, () =>
          graphql(
            base,
            `{ compareRuns(ids: [${Array.from({ length: 10 }, (_, i) => `"run-${i * 7}"`).join(', ')}]) { rows { section key values differs } } }`,
          ),
        ),
      );
      figures.push(
        await measure(`sweepSummary of ${SWEEP_RUNS.toLocaleString('en')} runs`, '—', reads, () =>
          graphql(
            base,
            `{ sweepSummary(sweepId: "${SWEEP}", metrics: ["loss", "acc"]) { rows { run { id } metrics { key value } } importance { key spearman } } }`,
          ),
        ),
      );
      figures.push(
        await measure(
          `metricSeries of 1,000 points over ${options.points.toLocaleString('en')} raw points`,
          'p50 ≤ 30 ms',
          reads,
          () =>
            graphql(
              base,
              `{ metricSeries: runMetricSeries(runId: "${BIG_RUN}", key: "loss", maxPoints: 1000) { points { step value } rowsRead } }`,
            ),
        ),
      );
      return figures;
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
