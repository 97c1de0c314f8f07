/**
 * Runlog's own path for each workload of the MLflow side-by-side bench (bench/mlflow.bench.ts): the native ingest
 * route, the metric export, GraphQL searchRuns and run creation, against the same server the dialect was timed on.
 */
import { performance } from 'node:perf_hooks';
import type { MlflowBenchOptions } from './mlflow.bench';
import { progress } from './support';

/** The search both servers answer: the same filter and order through MLflow's client and through GraphQL. */
export const FILTER = "metrics.acc > 0.5 and params.opt = 'adam'";
export const ORDER_BY = ['metrics.acc DESC'];

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];

async function json<T>(base: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export async function nativeIngest(base: string, options: MlflowBenchOptions): Promise<number> {
  const { experimentId } = await json<{ experimentId: string }>(base, '/api/v1/experiments', {
    name: `native-ingest-${Date.now()}`,
  });
  const runs: string[] = [];
  for (let i = 0; i < options.runs; i++) {
    runs.push((await json<{ runId: string }>(base, '/api/v1/runs', { experimentId })).runId);
  }
  const perRequest = 10_000;
  const stepsPerRequest = Math.max(1, Math.floor(perRequest / options.keys));
  const requests: { runId: string; from: number }[] = [];
  for (const runId of runs)
    for (let from = 0; from < options.steps; from += stepsPerRequest) requests.push({ runId, from });
  // The bodies are made before the clock starts, as a training job has its points in hand: the server's rate is
  // measured, not this process building JSON on the same two cores.
  const now = Date.now();
  const bodies = requests.map(({ runId, from }) => {
    const steps = Array.from({ length: Math.min(stepsPerRequest, options.steps - from) }, (_, i) => from + i);
    const metrics = Array.from({ length: options.keys }, (_, k) => ({
      key: `key${k}`,
      steps,
      values: steps.map((step) => (step % 97) / 97),
      timestamps: steps.map((step) => now + step),
    }));
    return { path: `/api/v1/runs/${runId}/metrics`, body: JSON.stringify({ metrics }) };
  });
  const started = performance.now();
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < bodies.length) {
        const { path, body } = bodies[next++];
        const response = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
        await response.arrayBuffer();
        done++;
        if (done % 20 === 0 || done === bodies.length)
          progress('native batches', done, bodies.length, started);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return (options.runs * options.keys * options.steps) / seconds;
}

export async function nativeHistory(base: string, runId: string, repeats = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    const response = await fetch(`${base}/api/v1/metrics/export?runId=${runId}&key=loss`, {
      headers: { accept: 'text/csv' },
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`export: ${response.status} ${text.slice(0, 200)}`);
    times.push((performance.now() - started) / 1000);
  }
  return median(times);
}

export async function nativeSearch(
  base: string,
  experimentId: string,
  repeats = 5,
): Promise<{ seconds: number; found: number }> {
  const times: number[] = [];
  let found = 0;
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    let after: string | null = null;
    found = 0;
    do {
      const answer: {
        data: {
          searchRuns: {
            edges: { node: { id: string } }[];
            pageInfo: { endCursor: string | null; hasNextPage: boolean };
          };
        };
      } = await json(base, '/graphql', {
        query: `query($e: [ID!], $f: String, $o: [String!], $a: String) {
            searchRuns(experimentIds: $e, filter: $f, orderBy: $o, first: 10000, after: $a) {
              edges { node { id } } pageInfo { endCursor hasNextPage } } }`,
        variables: { e: [experimentId], f: FILTER, o: ORDER_BY, a: after },
      });
      found += answer.data.searchRuns.edges.length;
      after = answer.data.searchRuns.pageInfo.hasNextPage ? answer.data.searchRuns.pageInfo.endCursor : null;
    } while (after);
    times.push((performance.now() - started) / 1000);
  }
  return { seconds: median(times), found };
}

export async function nativeCreate(base: string, count: number): Promise<number> {
  const { experimentId } = await json<{ experimentId: string }>(base, '/api/v1/experiments', {
    name: `native-create-${Date.now()}`,
  });
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await json(base, '/api/v1/runs', { experimentId });
    latencies.push(performance.now() - started);
  }
  return median(latencies);
}
