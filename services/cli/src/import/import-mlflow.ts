import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { v5 as uuidv5 } from 'uuid';
import { operatorConnection } from '../connection';
import { OperatorUsageError, type OperatorCliDependencies } from '../audit-verify';
import { ProgressLine } from '../progress';
import {
  filesUnder,
  readExperiments,
  readPoints,
  readRuns,
  readValues,
  type FolderRun,
} from './mlruns-folder';

export const IMPORT_MLFLOW_USAGE = `runlog import mlflow <mlruns folder> [--url <url>] [--token <token>] [--json]

Imports what MLflow's file store holds (experiments, runs with their params, tags, full metric histories, status
and times, artifacts) into Runlog through its API (--url or RUNLOG_URL), as the token's principal (--token or
RUNLOG_TOKEN). Every write has an id made from what it imports, so importing again appends nothing. Runs keep
their MLflow ids. Progress goes to stderr; a summary to stdout (--json: as JSON). Exit 1 when something was refused.
`;

const NAMESPACE = 'f1a9d4c2-6b3e-4f7a-9c1d-2e8b5a7f3c60';
const POINTS_PER_REQUEST = 10_000;
const ENDINGS: Record<number, { action: string; body: object }> = {
  3: { action: 'finish', body: {} },
  4: { action: 'fail', body: { reason: 'FAILED in MLflow (imported)' } },
  5: { action: 'kill', body: { reason: 'KILLED in MLflow (imported)' } },
};

interface Summary {
  experiments: number;
  runs: number;
  points: number;
  artifacts: number;
  refused: { what: string; why: string }[];
}

class Api {
  constructor(
    private readonly url: string,
    private readonly token: string | undefined,
  ) {}

  async send(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<unknown> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': contentType }),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      ...(body === undefined
        ? {}
        : {
            body: contentType === 'application/json' ? JSON.stringify(body) : (body as Buffer),
            duplex: 'half',
          }),
    } as RequestInit);
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : {};
  }
}

const eventId = (...parts: (string | number)[]) => uuidv5(parts.join('/'), NAMESPACE);
const iso = (ms: number | null) => (ms === null ? {} : { occurredAt: new Date(ms).toISOString() });
const sha256 = (path: string) =>
  new Promise<string>((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });

function parse(argv: readonly string[]) {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new OperatorUsageError('name one mlruns folder');
    return { folder: positionals[0], url: values.url, token: values.token, json: values.json ?? false };
  } catch (error) {
    if (error instanceof OperatorUsageError) throw error;
    throw new OperatorUsageError(error instanceof Error ? error.message : String(error));
  }
}

/** `runlog import mlflow <folder>`. */
export async function importMlflow(
  argv: readonly string[],
  dependencies: OperatorCliDependencies,
): Promise<number> {
  const options = parse(argv);
  const connection = operatorConnection(options, dependencies.env);
  const api = new Api(connection.baseUrl.replace(/\/$/, ''), connection.token);
  const summary: Summary = { experiments: 0, runs: 0, points: 0, artifacts: 0, refused: [] };
  const experiments = await readExperiments(options.folder);
  const runsOf = new Map(await Promise.all(experiments.map(async (e) => [e.id, await readRuns(e)] as const)));
  const total = [...runsOf.values()].reduce((sum, runs) => sum + runs.length, 0);
  const progress = new ProgressLine(dependencies.stderr, {
    label: 'import mlflow',
    unit: 'runs',
    now: dependencies.now,
  });
  const attempt = async (what: string, write: () => Promise<unknown>) => {
    try {
      await write();
      return true;
    } catch (error) {
      summary.refused.push({ what, why: error instanceof Error ? error.message : String(error) });
      return false;
    }
  };
  for (const experiment of experiments) {
    const made = await attempt(`experiment ${experiment.id}`, () =>
      api.send('POST', '/api/v1/experiments', {
        eventId: eventId('experiment', experiment.id),
        experimentId: experiment.id,
        name: experiment.name,
        getOrCreate: true,
      }),
    );
    if (!made) continue;
    summary.experiments++;
    const runs = runsOf.get(experiment.id) ?? [];
    const ids = new Set(runs.map((run) => run.id));
    for (const run of runs) {
      await importRun(api, run, ids, summary, attempt);
      summary.runs++;
      progress.update(summary.runs, total, `${summary.points.toLocaleString('en')} points`);
    }
    if (experiment.deleted) {
      await attempt(`experiment ${experiment.id} archive`, () =>
        api.send('POST', `/api/v1/experiments/${encodeURIComponent(experiment.id)}/archive`, {
          eventId: eventId('experiment', experiment.id, 'archive'),
        }),
      );
    }
  }
  progress.finish(summary.runs, total, `${summary.points.toLocaleString('en')} points`);
  dependencies.stdout.write(
    options.json
      ? `${JSON.stringify(summary)}\n`
      : `imported ${summary.experiments} experiments, ${summary.runs} runs, ${summary.points.toLocaleString('en')} points, ${summary.artifacts} artifacts` +
          (summary.refused.length
            ? `; refused:\n${summary.refused.map((r) => `  ${r.what}: ${r.why}`).join('\n')}\n`
            : '\n'),
  );
  return summary.refused.length ? 1 : 0;
}

async function importRun(
  api: Api,
  run: FolderRun,
  inFolder: Set<string>,
  summary: Summary,
  attempt: (what: string, write: () => Promise<unknown>) => Promise<boolean>,
): Promise<void> {
  const base = `/api/v1/runs/${encodeURIComponent(run.id)}`;
  const tags = await readValues(join(run.dir, 'tags'));
  const parent = tags['mlflow.parentRunId'];
  const created = await attempt(`run ${run.id}`, () =>
    api.send('POST', '/api/v1/runs', {
      eventId: eventId('run', run.id),
      runId: run.id,
      experimentId: run.experimentId,
      name: tags['mlflow.runName'] ?? run.name,
      ...(parent && inFolder.has(parent) ? { parentRunId: parent } : {}),
      ...(run.userId ? { context: { user: run.userId.slice(0, 256) } } : {}),
      ...iso(run.startTime),
    }),
  );
  if (!created) return;
  const params = await readValues(join(run.dir, 'params'));
  const paramKeys = Object.keys(params);
  for (let i = 0; i < paramKeys.length; i += 1000) {
    const chunk = Object.fromEntries(paramKeys.slice(i, i + 1000).map((key) => [key, params[key]]));
    await attempt(`run ${run.id} params`, () =>
      api.send('POST', `${base}/params`, { eventId: eventId('run', run.id, 'params', i), params: chunk }),
    );
  }
  const tagKeys = Object.keys(tags).filter((key) => key !== 'mlflow.runName');
  for (let i = 0; i < tagKeys.length; i += 1000) {
    const chunk = Object.fromEntries(tagKeys.slice(i, i + 1000).map((key) => [key, tags[key]]));
    await attempt(`run ${run.id} tags`, () =>
      api.send('POST', `${base}/tags`, { eventId: eventId('run', run.id, 'tags', i), tags: chunk }),
    );
  }
  for (const key of await filesUnder(join(run.dir, 'metrics'))) {
    let batch = { steps: [] as number[], values: [] as (number | string)[], timestamps: [] as number[] };
    let index = 0;
    const flush = async () => {
      if (batch.steps.length === 0) return;
      const sent = batch;
      batch = { steps: [], values: [], timestamps: [] };
      if (
        await attempt(`run ${run.id} metric ${key}`, () =>
          api.send('POST', `${base}/metrics`, {
            eventId: eventId('run', run.id, 'metrics', key, index++),
            metrics: [{ key, ...sent }],
          }),
        )
      )
        summary.points += sent.steps.length;
    };
    for await (const point of readPoints(join(run.dir, 'metrics', key))) {
      batch.steps.push(point.step);
      batch.values.push(Number.isFinite(point.value) ? point.value : String(point.value));
      batch.timestamps.push(point.timestamp);
      if (batch.steps.length >= POINTS_PER_REQUEST) await flush();
    }
    await flush();
  }
  const artifactsDir = join(run.dir, 'artifacts');
  const present = new Map(
    ((await api.send('GET', `${base}/artifacts`).catch(() => [])) as { path: string; digest: string }[]).map(
      (a) => [a.path, a.digest],
    ),
  );
  for (const path of await filesUnder(artifactsDir)) {
    const file = join(artifactsDir, path);
    if (present.get(path) === (await sha256(file))) continue;
    const encoded = path.split('/').map(encodeURIComponent).join('/');
    if (
      await attempt(`run ${run.id} artifact ${path}`, async () =>
        api.send('PUT', `${base}/artifacts/${encoded}`, await readFile(file), 'application/octet-stream'),
      )
    )
      summary.artifacts++;
  }
  const ending = ENDINGS[run.status];
  if (ending) {
    await attempt(`run ${run.id} ${ending.action}`, () =>
      api.send('POST', `${base}/${ending.action}`, {
        eventId: eventId('run', run.id, ending.action),
        ...ending.body,
        ...iso(run.endTime),
      }),
    );
  }
  if (run.deleted)
    await attempt(`run ${run.id} delete`, () =>
      api.send('DELETE', base, { eventId: eventId('run', run.id, 'delete') }),
    );
}
