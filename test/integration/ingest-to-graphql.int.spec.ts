import { newEventId } from '../../libs/events/src/envelope';
import { createExperimentAndRun, gql, post, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

interface RunResult {
  run: {
    id: string;
    name: string;
    status: string;
    experimentId: string;
    startTime: number;
    endTime: number | null;
    failureReason: string | null;
    params: { key: string; value: string }[];
    tags: { key: string; value: string }[];
    metrics: { key: string; last: number; lastStep: number; min: number; max: number; count: number }[];
  } | null;
}

const RUN_QUERY = `query ($id: ID!) { run(id: $id) {
  id name status experimentId startTime endTime failureReason
  params { key value } tags { key value } metrics { key last lastStep min max count } } }`;

const SERIES_QUERY = `query ($runId: ID!, $key: String!, $maxPoints: Int!) {
  metricSeries: runMetricSeries(runId: $runId, key: $key, maxPoints: $maxPoints) { totalPoints downsampled points { step value timestamp } } }`;

/** A loss curve with a few spikes at known steps, so downsampling can be checked against the truth. */
function lossCurve(steps: number, spikes: Record<number, number>) {
  const stepList = Array.from({ length: steps }, (_, i) => i);
  const values = stepList.map((i) => spikes[i] ?? 1 / (1 + i * 0.01) + 0.001 * Math.sin(i));
  return { steps: stepList, values };
}

describe('ingest → log → projector → ClickHouse → GraphQL (standalone, embedded engines)', () => {
  const runlog = useRunlog();

  it('records a whole run and answers it through GraphQL', async () => {
    const { runId, experimentId } = await createExperimentAndRun(runlog.base, 'resnet-sweep');
    expect(
      await post(runlog.base, `/api/v1/runs/${runId}/params`, {
        params: { lr: 0.001, optimizer: 'adam', layers: 50 },
      }),
    ).toMatchObject({ status: 200 });
    expect(
      await post(runlog.base, `/api/v1/runs/${runId}/tags`, {
        tags: { team: 'vision', 'git.branch': 'main' },
      }),
    ).toMatchObject({ status: 200 });

    const curve = lossCurve(12_000, { 3_000: 9.5, 7_777: -4.25 });
    const accuracy = { steps: [0, 100, 200], values: [0.1, 0.5, 0.75] };
    // Thousands of points per request, several requests: the batch-first path.
    for (let from = 0; from < curve.steps.length; from += 5_000) {
      const response = await post(runlog.base, `/api/v1/runs/${runId}/metrics`, {
        metrics: [
          {
            key: 'train/loss',
            steps: curve.steps.slice(from, from + 5_000),
            values: curve.values.slice(from, from + 5_000),
          },
        ],
      });
      expect(response).toMatchObject({ status: 200, body: { appended: true } });
    }
    await post(runlog.base, `/api/v1/runs/${runId}/metrics`, {
      metrics: [
        {
          key: 'val/accuracy',
          ...accuracy,
          timestamps: [1_700_000_000_000, 1_700_000_060_000, 1_700_000_120_000],
        },
      ],
    });
    expect(await post(runlog.base, `/api/v1/runs/${runId}/finish`, {})).toMatchObject({ status: 200 });
    await waitForProjection(runlog.base);

    const { run } = await gql<RunResult>(runlog.base, RUN_QUERY, { id: runId });
    expect(run).toMatchObject({
      id: runId,
      experimentId,
      name: 'resnet-sweep-run',
      status: 'finished',
      failureReason: null,
    });
    expect(run!.endTime).toBeGreaterThanOrEqual(run!.startTime);
    expect(run!.params).toEqual([
      { key: 'layers', value: '50' },
      { key: 'lr', value: '0.001' },
      { key: 'optimizer', value: 'adam' },
    ]);
    expect(run!.tags).toEqual([
      { key: 'git.branch', value: 'main' },
      { key: 'team', value: 'vision' },
    ]);
    const loss = run!.metrics.find((m) => m.key === 'train/loss')!;
    expect(loss).toEqual({
      key: 'train/loss',
      count: curve.steps.length,
      lastStep: curve.steps.length - 1,
      last: curve.values[curve.values.length - 1],
      min: Math.min(...curve.values),
      max: Math.max(...curve.values),
    });
    expect(run!.metrics.find((m) => m.key === 'val/accuracy')).toEqual({
      key: 'val/accuracy',
      count: 3,
      last: 0.75,
      lastStep: 200,
      min: 0.1,
      max: 0.75,
    });

    const accuracySeries = await gql<{
      metricSeries: { totalPoints: number; downsampled: boolean; points: unknown[] };
    }>(runlog.base, SERIES_QUERY, { runId, key: 'val/accuracy', maxPoints: 100 });
    expect(accuracySeries.metricSeries).toEqual({
      totalPoints: 3,
      downsampled: false,
      points: [
        { step: 0, value: 0.1, timestamp: 1_700_000_000_000 },
        { step: 100, value: 0.5, timestamp: 1_700_000_060_000 },
        { step: 200, value: 0.75, timestamp: 1_700_000_120_000 },
      ],
    });
  });

  it('downsamples a long series to at most maxPoints and keeps the spikes', async () => {
    const { runId } = await createExperimentAndRun(runlog.base, 'spiky');
    const curve = lossCurve(50_000, { 12_345: 1e6, 40_001: -1e6 });
    await post(runlog.base, `/api/v1/runs/${runId}/metrics`, { metrics: [{ key: 'loss', ...curve }] });
    await waitForProjection(runlog.base);
    const { metricSeries } = await gql<{
      metricSeries: { totalPoints: number; downsampled: boolean; points: { step: number; value: number }[] };
    }>(runlog.base, SERIES_QUERY, { runId, key: 'loss', maxPoints: 200 });
    expect(metricSeries.totalPoints).toBe(50_000);
    expect(metricSeries.downsampled).toBe(true);
    expect(metricSeries.points.length).toBeLessThanOrEqual(200);
    expect(metricSeries.points.length).toBeGreaterThan(150);
    expect(metricSeries.points).toContainEqual(expect.objectContaining({ step: 12_345, value: 1e6 }));
    expect(metricSeries.points).toContainEqual(expect.objectContaining({ step: 40_001, value: -1e6 }));
    const steps = metricSeries.points.map((p) => p.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    // Every returned point is a real point of the series.
    for (const point of metricSeries.points) expect(point.value).toBe(curve.values[point.step]);
  });

  it('appends and projects a retried batch once (client-made event ids)', async () => {
    const { runId } = await createExperimentAndRun(runlog.base, 'retries');
    const batch = { eventId: newEventId(), metrics: [{ key: 'loss', steps: [1, 2, 3], values: [3, 2, 1] }] };
    expect((await post(runlog.base, `/api/v1/runs/${runId}/metrics`, batch)).body).toMatchObject({
      appended: true,
    });
    expect((await post(runlog.base, `/api/v1/runs/${runId}/metrics`, batch)).body).toMatchObject({
      appended: false,
    });
    const finish = { eventId: newEventId() };
    expect((await post(runlog.base, `/api/v1/runs/${runId}/finish`, finish)).status).toBe(200);
    // The same finish retried is acknowledged, not refused as a second ending.
    expect(await post(runlog.base, `/api/v1/runs/${runId}/finish`, finish)).toMatchObject({
      status: 200,
      body: { appended: false },
    });
    await waitForProjection(runlog.base);
    const { run } = await gql<RunResult>(runlog.base, RUN_QUERY, { id: runId });
    expect(run!.metrics).toEqual([{ key: 'loss', count: 3, last: 1, lastStep: 3, min: 1, max: 3 }]);
  });

  it('keeps failed and killed runs with their reasons, and refuses what a terminal run no longer accepts', async () => {
    const failed = await createExperimentAndRun(runlog.base, 'oom');
    expect(
      await post(runlog.base, `/api/v1/runs/${failed.runId}/fail`, { reason: 'CUDA out of memory' }),
    ).toMatchObject({ status: 200 });
    const killed = await createExperimentAndRun(runlog.base, 'preempted');
    expect(await post(runlog.base, `/api/v1/runs/${killed.runId}/kill`, {})).toMatchObject({ status: 200 });

    const late = await post(runlog.base, `/api/v1/runs/${failed.runId}/metrics`, {
      metrics: [{ key: 'loss', steps: [1], values: [1] }],
    });
    expect(late).toMatchObject({ status: 409, body: { error: 'illegal_transition', field: 'runId' } });
    expect(await post(runlog.base, `/api/v1/runs/${killed.runId}/finish`, {})).toMatchObject({ status: 409 });
    // Labels may still be added after the fact.
    expect(
      await post(runlog.base, `/api/v1/runs/${failed.runId}/tags`, { tags: { triage: 'oom' } }),
    ).toMatchObject({ status: 200 });

    await waitForProjection(runlog.base);
    const failedRun = (await gql<RunResult>(runlog.base, RUN_QUERY, { id: failed.runId })).run;
    expect(failedRun).toMatchObject({
      status: 'failed',
      failureReason: 'CUDA out of memory',
      tags: [{ key: 'triage', value: 'oom' }],
    });
    const killedRun = (await gql<RunResult>(runlog.base, RUN_QUERY, { id: killed.runId })).run;
    expect(killedRun).toMatchObject({ status: 'killed', failureReason: null });
  });

  it('refuses a param re-logged with a different value, naming the key and both values', async () => {
    const { runId } = await createExperimentAndRun(runlog.base, 'params');
    await post(runlog.base, `/api/v1/runs/${runId}/params`, { params: { lr: '0.1' } });
    expect(await post(runlog.base, `/api/v1/runs/${runId}/params`, { params: { lr: '0.1' } })).toMatchObject({
      status: 200,
    });
    const conflict = await post<{ error: string; message: string; field: string }>(
      runlog.base,
      `/api/v1/runs/${runId}/params`,
      { params: { lr: '0.2' } },
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error: 'param_conflict', field: 'params.lr' });
    expect(conflict.body.message).toContain('"0.1"');
    expect(conflict.body.message).toContain('"0.2"');
  });

  it('deletes tags, also after the run ended, and the projection forgets them', async () => {
    const { runId } = await createExperimentAndRun(runlog.base, 'tags');
    await post(runlog.base, `/api/v1/runs/${runId}/tags`, {
      tags: { team: 'vision', stage: 'dev', keep: 'yes' },
    });
    expect(
      await post(runlog.base, `/api/v1/runs/${runId}/tags/delete`, { keys: ['stage', 'never-set'] }),
    ).toMatchObject({ status: 200, body: { appended: true } });
    // Deleting what is not there appends nothing.
    expect(await post(runlog.base, `/api/v1/runs/${runId}/tags/delete`, { keys: ['stage'] })).toMatchObject({
      status: 200,
      body: { appended: false, eventIds: [] },
    });
    await post(runlog.base, `/api/v1/runs/${runId}/finish`, {});
    expect(await post(runlog.base, `/api/v1/runs/${runId}/tags/delete`, { keys: ['team'] })).toMatchObject({
      status: 200,
      body: { appended: true },
    });
    expect(await post(runlog.base, `/api/v1/runs/${runId}/tags/delete`, { keys: [] })).toMatchObject({
      status: 400,
      body: { field: 'keys' },
    });
    await waitForProjection(runlog.base);
    const { run } = await gql<{ run: { tags: { key: string; value: string }[] } }>(
      runlog.base,
      'query ($id: ID!) { run(id: $id) { tags { key value } } }',
      { id: runId },
    );
    expect(run.tags).toEqual([{ key: 'keep', value: 'yes' }]);
  });

  it('stamps who wrote each event and chains the run history by hash', async () => {
    const headers = { 'x-runlog-actor': 'alice@lab', 'x-runlog-workspace': 'vision' };
    const experiment = await post<{ experimentId: string }>(
      runlog.base,
      '/api/v1/experiments',
      { name: 'audit' },
      headers,
    );
    const { runId } = (
      await post<{ runId: string }>(
        runlog.base,
        '/api/v1/runs',
        { experimentId: experiment.body.experimentId },
        headers,
      )
    ).body;
    await post(
      runlog.base,
      `/api/v1/runs/${runId}/params`,
      { params: { seed: 7 } },
      { 'x-runlog-actor': 'bob' },
    );
    await post(runlog.base, `/api/v1/runs/${runId}/finish`, {});
    await waitForProjection(runlog.base);
    const { runHistory } = await gql<{
      runHistory: {
        type: string;
        actor: string;
        onBehalfOf: string | null;
        workspace: string;
        prevHash: string | null;
        hash: string;
      }[];
    }>(
      runlog.base,
      'query ($id: ID!) { runHistory(runId: $id) { type actor onBehalfOf workspace prevHash hash } }',
      { id: runId },
    );
    // The actor is who authenticated (here the loopback's local owner), never a header; the local owner may act
    // for others, so the header is kept beside it. Every event of a run is in the run's workspace, whatever the
    // request's header said.
    const { principal } = (await (await fetch(`${runlog.base}/api/v1/whoami`)).json()) as {
      principal: string;
    };
    expect(principal).toMatch(/^local:/);
    expect(
      runHistory.map(({ type, actor, onBehalfOf, workspace }) => ({ type, actor, onBehalfOf, workspace })),
    ).toEqual([
      { type: 'run.created', actor: principal, onBehalfOf: 'alice@lab', workspace: 'vision' },
      { type: 'run.params_logged', actor: principal, onBehalfOf: 'bob', workspace: 'vision' },
      { type: 'run.finished', actor: principal, onBehalfOf: null, workspace: 'vision' },
    ]);
    expect(runHistory[0].prevHash).toBeNull();
    for (let i = 1; i < runHistory.length; i++) expect(runHistory[i].prevHash).toBe(runHistory[i - 1].hash);
    expect(new Set(runHistory.map((event) => event.hash)).size).toBe(runHistory.length);
  });

  it('serves its OpenAPI document and answers an unknown run with null', async () => {
    const response = await fetch(`${runlog.base}/api/v1/openapi.json`);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/v1/runs/{runId}/metrics');
    expect((await gql<RunResult>(runlog.base, RUN_QUERY, { id: 'no-such-run' })).run).toBeNull();
  });
});
