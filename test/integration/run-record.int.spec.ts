import { createHash } from 'node:crypto';
import { RunlogClient } from '../../libs/sdk/src/runlog';
import { gql, logEnd, post, send, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

/**
 * The full record of a run through the real HTTP and GraphQL surfaces: experiment rename/archive/restore, sweeps
 * with a search space, queued and child runs, context, inputs (lineage), NaN and infinities, notes, names, soft
 * delete and restore, failure stack traces, and stale marking by heartbeat timeout (also after a restart).
 */
const RUN_QUERY = `query ($id: ID!) { run(id: $id) {
  id name status createdAt startTime endTime failureReason stackTrace sweepId parentRunId deleted note
  context { code { commit branch dirty } environment { runtime } hardware { cpuCount gpus { model memoryBytes } }
    seeds { key value } user host }
  inputs { name digest source split rows schemaDigest }
  artifacts { path digest size }
  sweep { id method searchSpace objectiveMetric objectiveGoal }
  children { id status }
  params { key value }
  metrics { key last lastStep min max count } } }`;

interface RunResult {
  run: {
    id: string;
    name: string;
    status: string;
    createdAt: number;
    startTime: number | null;
    endTime: number | null;
    failureReason: string | null;
    stackTrace: string | null;
    sweepId: string | null;
    parentRunId: string | null;
    deleted: boolean;
    note: string;
    context: Record<string, unknown> | null;
    inputs: Record<string, unknown>[];
    artifacts: { path: string; digest: string; size: number }[];
    sweep: Record<string, unknown> | null;
    children: { id: string; status: string }[];
    params: { key: string; value: string }[];
    metrics: {
      key: string;
      last: number | string;
      lastStep: number;
      min: number | null;
      max: number | null;
      count: number;
    }[];
  } | null;
}

const api = (path: string) => `/api/v1${path}`;

describe('the full run record over HTTP and GraphQL', () => {
  const runlog = useRunlog();

  const run = async (id: string) => (await gql<RunResult>(runlog.base, RUN_QUERY, { id })).run;

  it('renames, archives and restores an experiment; an archived one takes no runs and appends nothing', async () => {
    const experimentId = `exp-${Date.now()}`;
    expect((await post(runlog.base, api('/experiments'), { experimentId, name: 'cifar' })).status).toBe(201);
    expect(
      await post(runlog.base, api(`/experiments/${experimentId}/rename`), { name: 'cifar-10 baselines' }),
    ).toMatchObject({
      status: 200,
      body: { appended: true },
    });
    expect(await post(runlog.base, api(`/experiments/${experimentId}/archive`), {})).toMatchObject({
      status: 200,
    });

    const before = await logEnd(runlog.base);
    const refused = await post(runlog.base, api('/runs'), { experimentId, name: 'late' });
    expect(refused).toMatchObject({
      status: 409,
      body: { error: 'illegal_transition', field: 'experimentId' },
    });
    const sweep = await post(runlog.base, api('/sweeps'), {
      experimentId,
      searchSpace: { lr: { values: [1] } },
    });
    expect(sweep).toMatchObject({ status: 409, body: { field: 'experimentId' } });
    expect(await logEnd(runlog.base)).toBe(before);

    await waitForProjection(runlog.base);
    const listed = await gql<{
      active: { id: string }[];
      all: { id: string; name: string; archived: boolean }[];
    }>(
      runlog.base,
      `{ active: experiments { id } all: experiments(includeArchived: true) { id name archived } }`,
    );
    expect(listed.active.map((e) => e.id)).not.toContain(experimentId);
    expect(listed.all).toContainEqual({ id: experimentId, name: 'cifar-10 baselines', archived: true });

    expect(await post(runlog.base, api(`/experiments/${experimentId}/restore`), {})).toMatchObject({
      status: 200,
    });
    expect((await post(runlog.base, api('/runs'), { experimentId, name: 'now' })).status).toBe(201);
    expect((await post(runlog.base, api('/experiments/nope/archive'), {})).status).toBe(404);
  });

  it('records a sweep trial end to end: queued child run, context, inputs, NaN metrics, note, failure trace', async () => {
    const experimentId = `sweep-exp-${Date.now()}`;
    await post(runlog.base, api('/experiments'), { experimentId, name: 'lr search' });
    const searchSpace = {
      lr: { distribution: 'log_uniform', min: 1e-5, max: 1e-1 },
      depth: { values: [18, 34, 50] },
    };
    const sweep = await post<{ sweepId: string }>(runlog.base, api('/sweeps'), {
      experimentId,
      name: 'lr x depth',
      method: 'random',
      searchSpace,
      objective: { metric: 'val/loss', goal: 'minimize' },
    });
    expect(sweep.status).toBe(201);
    const { sweepId } = sweep.body;
    const parent = await post<{ runId: string }>(runlog.base, api('/runs'), {
      experimentId,
      sweepId,
      name: 'controller',
    });
    const parentRunId = parent.body.runId;

    // A scheduler queues the trial with its params; an agent starts it later with its own machine's context.
    const trial = await post<{ runId: string }>(runlog.base, api('/runs'), {
      experimentId,
      sweepId,
      parentRunId,
      name: 'trial-1',
      queued: true,
    });
    expect(trial.status).toBe(201);
    const runId = trial.body.runId;
    expect(
      (await post(runlog.base, api(`/runs/${runId}/params`), { params: { lr: 0.003, depth: 34 } })).status,
    ).toBe(200);
    const early = await post(runlog.base, api(`/runs/${runId}/metrics`), {
      metrics: [{ key: 'loss', steps: [0], values: [1] }],
    });
    expect(early).toMatchObject({ status: 409, body: { error: 'illegal_transition', field: 'runId' } });
    // Read once the queued run is projected: before that the query answers null, which would prove nothing.
    await waitForProjection(runlog.base);
    expect((await run(runId))?.status).toBe('queued');

    const commit = createHash('sha1').update('x').digest('hex');
    const context = {
      code: { commit, branch: 'main', dirty: true, diffDigest: 'd'.repeat(64), entryPoint: 'train.ts' },
      environment: { runtime: 'node', runtimeVersion: 'v24.0.0', platform: 'linux', arch: 'x64' },
      hardware: {
        cpuModel: 'EPYC',
        cpuCount: 64,
        memoryBytes: 512 * 2 ** 30,
        gpus: [{ model: 'H100', memoryBytes: 80 * 2 ** 30 }],
      },
      seeds: { torch: 1234, numpy: 'seq-7' },
      user: 'ada',
      host: 'gpu-node-7',
    };
    expect(await post(runlog.base, api(`/runs/${runId}/start`), { context })).toMatchObject({ status: 200 });
    expect((await post(runlog.base, api(`/runs/${runId}/start`), {})).status).toBe(409);

    const dataset = {
      name: 'imagenet',
      digest: `sha256:${'e'.repeat(64)}`,
      source: 's3://datasets/imagenet',
      split: 'train',
      rows: 1281167,
    };
    expect(await post(runlog.base, api(`/runs/${runId}/inputs`), { inputs: [dataset] })).toMatchObject({
      status: 200,
      body: { appended: true },
    });
    // The same dataset again is a no-op (the SDK retries), nothing appended.
    expect(await post(runlog.base, api(`/runs/${runId}/inputs`), { inputs: [dataset] })).toMatchObject({
      status: 200,
      body: { appended: false },
    });

    const metrics = await post(runlog.base, api(`/runs/${runId}/metrics`), {
      metrics: [
        { key: 'train/loss', steps: [1, 2, 3, 4, 5], values: [2.5, 1.25, 'NaN', 'Infinity', 0.75] },
        { key: 'grad/norm', steps: [1, 2], values: ['-Infinity', 'NaN'] },
      ],
    });
    expect(metrics).toMatchObject({ status: 200, body: { points: 7 } });
    expect(
      (await post(runlog.base, api(`/runs/${runId}/note`), { note: 'diverged **after** warmup' })).status,
    ).toBe(200);
    expect(
      (await post(runlog.base, api(`/runs/${runId}/rename`), { name: 'trial-1 (diverged)' })).status,
    ).toBe(200);
    const stackTrace = 'Error: loss is NaN\n    at step (train.ts:42:7)';
    expect(
      (await post(runlog.base, api(`/runs/${runId}/fail`), { reason: 'loss is NaN', stackTrace })).status,
    ).toBe(200);
    // A failed run keeps its record and still takes annotations; its outcome is closed.
    expect(
      (await post(runlog.base, api(`/runs/${runId}/note`), { note: 'diverged after warmup; lr too high' }))
        .status,
    ).toBe(200);
    expect(
      (
        await post(runlog.base, api(`/runs/${runId}/inputs`), {
          inputs: [{ ...dataset, split: 'val', digest: 'sha256:v' }],
        })
      ).status,
    ).toBe(409);

    await waitForProjection(runlog.base);
    const record = await run(runId);
    expect(record).toMatchObject({
      name: 'trial-1 (diverged)',
      status: 'failed',
      failureReason: 'loss is NaN',
      stackTrace,
      sweepId,
      parentRunId,
      deleted: false,
      note: 'diverged after warmup; lr too high',
      context: {
        code: { commit, branch: 'main', dirty: true },
        environment: { runtime: 'node' },
        hardware: { cpuCount: 64, gpus: [{ model: 'H100', memoryBytes: 80 * 2 ** 30 }] },
        seeds: [
          { key: 'numpy', value: 'seq-7' },
          { key: 'torch', value: '1234' },
        ],
        user: 'ada',
        host: 'gpu-node-7',
      },
      inputs: [{ ...dataset, schemaDigest: null }],
      sweep: { id: sweepId, method: 'random', objectiveMetric: 'val/loss', objectiveGoal: 'minimize' },
      params: [
        { key: 'depth', value: '34' },
        { key: 'lr', value: '0.003' },
      ],
    });
    expect(JSON.parse(String(record?.sweep?.searchSpace))).toEqual(searchSpace);
    expect(record!.startTime).toBeGreaterThanOrEqual(record!.createdAt);
    expect(record!.metrics).toEqual([
      { key: 'grad/norm', last: 'NaN', lastStep: 2, min: null, max: null, count: 2 },
      { key: 'train/loss', last: 0.75, lastStep: 5, min: 0.75, max: 2.5, count: 5 },
    ]);
    const series = await gql<{ metricSeries: { points: { step: number; value: number | string }[] } }>(
      runlog.base,
      `{ metricSeries: runMetricSeries(runId: "${runId}", key: "train/loss") { points { step value } } }`,
    );
    expect(series.metricSeries.points.map((point) => point.value)).toEqual([
      2.5,
      1.25,
      'NaN',
      'Infinity',
      0.75,
    ]);

    const family = await gql<{
      parent: { children: { id: string }[] };
      trials: { id: string; sweep: { id: string }; children: { id: string }[] }[];
      readers: { runId: string; split: string }[];
    }>(
      runlog.base,
      `{ parent: run(id: "${parentRunId}") { children { id } }
         trials: runs(sweepId: "${sweepId}") { id sweep { id } children { id } }
         readers: runsReadingInput(digest: "${dataset.digest}") { runId split } }`,
    );
    expect(family.parent.children).toEqual([{ id: runId }]);
    // Each row's sweep and children, resolved for the whole list at once (one query per field, not per row).
    expect(Object.fromEntries(family.trials.map((t) => [t.id, t]))).toEqual({
      [parentRunId]: { id: parentRunId, sweep: { id: sweepId }, children: [{ id: runId }] },
      [runId]: { id: runId, sweep: { id: sweepId }, children: [] },
    });
    expect(family.readers).toEqual([{ runId, split: 'train' }]);

    // A trial the scheduler gives up on before any agent starts it: killed, and it never had a start time.
    const dropped = await post<{ runId: string }>(runlog.base, api('/runs'), {
      experimentId,
      sweepId,
      queued: true,
    });
    expect(
      (await post(runlog.base, api(`/runs/${dropped.body.runId}/kill`), { reason: 'budget spent' })).status,
    ).toBe(200);
    await waitForProjection(runlog.base);
    expect(await run(dropped.body.runId)).toMatchObject({
      status: 'killed',
      startTime: null,
      failureReason: 'budget spent',
    });
  });

  it('404s writes to an unknown run and 409s writes to a deleted one until it is restored, appending nothing', async () => {
    const experimentId = `del-${Date.now()}`;
    await post(runlog.base, api('/experiments'), { experimentId, name: 'deletions' });
    const { runId } = (await post<{ runId: string }>(runlog.base, api('/runs'), { experimentId })).body;
    const points = { metrics: [{ key: 'loss', steps: [1], values: [0.5] }] };

    const before = await logEnd(runlog.base);
    for (const path of ['/metrics', '/params', '/note', '/heartbeat', '/inputs', '/start', '/rename']) {
      const answer = await post(runlog.base, api(`/runs/no-such-run${path}`), bodyFor(path, points));
      expect([path, answer.status, answer.body]).toEqual([
        path,
        404,
        expect.objectContaining({ field: 'runId' }),
      ]);
    }
    expect((await send('DELETE', runlog.base, api('/runs/no-such-run'), {})).status).toBe(404);
    expect(await logEnd(runlog.base)).toBe(before);

    expect(await send('DELETE', runlog.base, api(`/runs/${runId}`), {})).toMatchObject({
      status: 200,
      body: { appended: true },
    });
    expect(await send('DELETE', runlog.base, api(`/runs/${runId}`), {})).toMatchObject({
      status: 200,
      body: { appended: false },
    });
    const afterDelete = await logEnd(runlog.base);
    for (const path of ['/metrics', '/params', '/note', '/heartbeat', '/tags', '/finish']) {
      const answer = await post(runlog.base, api(`/runs/${runId}${path}`), bodyFor(path, points));
      expect([path, answer.status, answer.body]).toEqual([
        path,
        409,
        expect.objectContaining({ error: 'illegal_transition', field: 'runId' }),
      ]);
    }
    expect(await logEnd(runlog.base)).toBe(afterDelete);

    await waitForProjection(runlog.base);
    const hidden = await gql<{ live: { id: string }[]; all: { id: string; deleted: boolean }[] }>(
      runlog.base,
      `{ live: runs(experimentId: "${experimentId}") { id } all: runs(experimentId: "${experimentId}", includeDeleted: true) { id deleted } }`,
    );
    expect(hidden).toEqual({ live: [], all: [{ id: runId, deleted: true }] });

    expect(await post(runlog.base, api(`/runs/${runId}/restore`), {})).toMatchObject({
      status: 200,
      body: { appended: true },
    });
    expect((await post(runlog.base, api(`/runs/${runId}/metrics`), points)).status).toBe(200);
    await waitForProjection(runlog.base);
    expect(await run(runId)).toMatchObject({ deleted: false, status: 'running' });
  });

  it('refuses GraphQL runs() without a filter, naming the argument', async () => {
    const response = await fetch(`${runlog.base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ runs { id } }' }),
    });
    const body = (await response.json()) as { errors: { extensions: { code: string; field: string } }[] };
    expect(body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'experimentId' });
  });
});

describe('stale runs: a client silent past RUNLOG_STALE_AFTER_MS', () => {
  const staleAfterMs = 1_500;
  const env = { RUNLOG_STALE_AFTER_MS: String(staleAfterMs) };
  const runlog = useRunlog(env);

  const statusOf = async (id: string) =>
    (await gql<{ run: { status: string } | null }>(runlog.base, `{ run(id: "${id}") { status } }`)).run
      ?.status;
  const history = async (id: string) =>
    (
      await gql<{ runHistory: { type: string; actor: string }[] }>(
        runlog.base,
        `{ runHistory(runId: "${id}") { type actor } }`,
      )
    ).runHistory;

  async function until(what: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await what())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('is marked stale, kept alive by heartbeats, resumed by its next write, and still finishes', async () => {
    const experimentId = `stale-${Date.now()}`;
    await post(runlog.base, api('/experiments'), { experimentId, name: 'stale' });
    const silent = (
      await post<{ runId: string }>(runlog.base, api('/runs'), { experimentId, name: 'silent' })
    ).body.runId;
    const alive = (await post<{ runId: string }>(runlog.base, api('/runs'), { experimentId, name: 'alive' }))
      .body.runId;
    const startedAt = Date.now();
    const beat = setInterval(() => void post(runlog.base, api(`/runs/${alive}/heartbeat`), {}), 300);
    try {
      await until(async () => {
        await waitForProjection(runlog.base);
        return (await statusOf(silent)) === 'stale';
      });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(staleAfterMs);
      await new Promise((resolve) => setTimeout(resolve, staleAfterMs));
      await waitForProjection(runlog.base);
      expect(await statusOf(alive)).toBe('running');
    } finally {
      clearInterval(beat);
    }
    expect(await history(silent)).toContainEqual({ type: 'run.marked_stale', actor: 'runlog:liveness' });

    expect(
      await post(runlog.base, api(`/runs/${silent}/metrics`), {
        metrics: [{ key: 'loss', steps: [1], values: [1] }],
      }),
    ).toMatchObject({
      status: 200,
      body: { appended: true },
    });
    await waitForProjection(runlog.base);
    expect(await statusOf(silent)).toBe('running');
    expect((await history(silent)).map((event) => event.type)).toEqual([
      'run.created',
      'run.marked_stale',
      'run.resumed',
    ]);

    // Silent again; this time params bring it back. The client's event id goes on the params (what a retry looks
    // for), the resume ahead of them gets one derived from it, and a retry appends nothing.
    await until(async () => {
      await waitForProjection(runlog.base);
      return (await statusOf(silent)) === 'stale';
    });
    const eventId = '01936d2e-7c4a-7b1e-9f3a-2b8c4d5e6f70';
    const params = await post<{ eventIds: string[]; appended: boolean }>(
      runlog.base,
      api(`/runs/${silent}/params`),
      {
        eventId,
        params: { lr: 0.1 },
      },
    );
    expect(params.body.appended).toBe(true);
    expect(params.body.eventIds).toEqual([expect.any(String), eventId]);
    expect(params.body.eventIds[0]).not.toBe(eventId);
    const retried = await post(runlog.base, api(`/runs/${silent}/params`), { eventId, params: { lr: 0.1 } });
    expect(retried.body).toEqual({ eventIds: [eventId], appended: false });
    await waitForProjection(runlog.base);
    expect((await history(silent)).map((event) => event.type).slice(3)).toEqual([
      'run.marked_stale',
      'run.resumed',
      'run.params_logged',
    ]);
    expect((await post(runlog.base, api(`/runs/${silent}/finish`), {})).status).toBe(200);
    expect((await post(runlog.base, api(`/runs/${alive}/finish`), {})).status).toBe(200);
    // An ended run is never marked, however long it stays silent.
    await new Promise((resolve) => setTimeout(resolve, staleAfterMs * 2));
    await waitForProjection(runlog.base);
    expect(await statusOf(silent)).toBe('finished');
    expect(await statusOf(alive)).toBe('finished');
  });

  it('keeps an idle SDK run alive with heartbeats, and samples system metrics into system/ keys', async () => {
    const client = new RunlogClient({
      baseUrl: runlog.base,
      heartbeatIntervalMs: 300,
      flushIntervalMs: 200,
      flushOnExit: false,
    });
    const idle = await client.startRun({ experimentName: 'sdk-idle' });
    const sampled = await client.startRun({
      experimentName: 'sdk-sampled',
      systemMetrics: { intervalMs: 200 },
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, staleAfterMs * 3));
      await client.flush();
      await waitForProjection(runlog.base);
      expect(await statusOf(idle.runId)).toBe('running');
      expect((await history(idle.runId)).map((event) => event.type)).toEqual([
        'run.created',
        'run.context_captured',
      ]);
      const { run } = await gql<{ run: { metrics: { key: string; count: number; min: number | null }[] } }>(
        runlog.base,
        `{ run(id: "${sampled.runId}") { metrics { key count min } } }`,
      );
      const keys = Object.fromEntries(run.metrics.map((metric) => [metric.key, metric]));
      expect(keys['system/cpu/util_percent']?.count).toBeGreaterThanOrEqual(5);
      expect(keys['system/memory/used_bytes']?.min).toBeGreaterThan(0);
      expect(keys['system/process/rss_bytes']?.min).toBeGreaterThan(0);
    } finally {
      // Ended here, while the server is up: a run left open would keep retrying its heartbeats after the server stops.
      await idle.finish();
      await sampled.finish();
      await client.close();
    }
  });

  it('after a restart, marks the runs the log says are running once a timeout has passed', async () => {
    const experimentId = `restart-${Date.now()}`;
    await post(runlog.base, api('/experiments'), { experimentId, name: 'restart' });
    await runlog.restart({ RUNLOG_STALE_AFTER_MS: '0' });
    const orphan = (
      await post<{ runId: string }>(runlog.base, api('/runs'), { experimentId, name: 'orphan' })
    ).body.runId;
    // With marking off, nothing happens however long the run is silent.
    await new Promise((resolve) => setTimeout(resolve, staleAfterMs * 2));
    await waitForProjection(runlog.base);
    expect(await statusOf(orphan)).toBe('running');

    await runlog.restart(env);
    await until(async () => {
      await waitForProjection(runlog.base);
      return (await statusOf(orphan)) === 'stale';
    });
  });
});

function bodyFor(path: string, points: unknown): unknown {
  switch (path) {
    case '/metrics':
      return points;
    case '/params':
      return { params: { lr: 1 } };
    case '/note':
      return { note: 'n' };
    case '/inputs':
      return { inputs: [{ name: 'd', digest: 'x' }] };
    case '/rename':
      return { name: 'n' };
    case '/tags':
      return { tags: { a: 'b' } };
    default:
      return {};
  }
}
