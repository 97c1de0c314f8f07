import { createExperimentAndRun, logEnd, post } from '../support/runlog-client';
import { makeDataDir, removeDataDir, startRunlog, type RunlogProcess } from '../support/runlog-process';

/** Every refused request names the field at fault, and the log's end does not move. */
describe('ingest refuses bad input with a 4xx naming the field, appending nothing', () => {
  let dataDir: string;
  let runlog: RunlogProcess;
  let runId: string;

  beforeAll(async () => {
    dataDir = makeDataDir();
    runlog = await startRunlog(dataDir, { RUNLOG_MAX_BODY_BYTES: String(256 * 1024) });
    ({ runId } = await createExperimentAndRun(runlog.base, 'validation'));
  });

  afterAll(async () => {
    await runlog?.stop();
    removeDataDir(dataDir);
  });

  const metrics = (extra: Record<string, unknown> = {}) => ({
    metrics: [{ key: 'loss', steps: [0, 1], values: [1, 0.5], ...extra }],
  });

  const cases: [string, () => string, unknown, number, string, string][] = [
    ['malformed JSON', () => `/api/v1/runs/${runId}/metrics`, '{"metrics": [', 400, 'malformed_json', 'body'],
    [
      'an unknown top-level field',
      () => `/api/v1/runs/${runId}/metrics`,
      { ...metrics(), stepz: 1 },
      400,
      'validation_failed',
      'stepz',
    ],
    [
      'an unknown nested field',
      () => `/api/v1/runs/${runId}/metrics`,
      metrics({ unit: 's' }),
      400,
      'validation_failed',
      'metrics[0].unit',
    ],
    [
      'a wrong type',
      () => `/api/v1/runs/${runId}/metrics`,
      metrics({ steps: [0, 'one'] }),
      400,
      'validation_failed',
      'metrics[0].steps[1]',
    ],
    [
      'a fractional step',
      () => `/api/v1/runs/${runId}/metrics`,
      metrics({ steps: [0, 1.5] }),
      400,
      'validation_failed',
      'metrics[0].steps[1]',
    ],
    [
      'NaN passed as a string',
      () => `/api/v1/runs/${runId}/metrics`,
      metrics({ values: [1, 'NaN'] }),
      400,
      'validation_failed',
      'metrics[0].values[1]',
    ],
    [
      'a missing field',
      () => `/api/v1/runs/${runId}/metrics`,
      { metrics: [{ key: 'loss', steps: [1] }] },
      400,
      'validation_failed',
      'metrics[0].values',
    ],
    [
      'columns of different lengths',
      () => `/api/v1/runs/${runId}/metrics`,
      metrics({ values: [1] }),
      400,
      'validation_failed',
      'metrics[0].values',
    ],
    [
      'a bad metric key',
      () => `/api/v1/runs/${runId}/metrics`,
      { metrics: [{ key: '../etc', steps: [1], values: [1] }] },
      400,
      'validation_failed',
      'metrics[0].key',
    ],
    [
      'a non-UUID event id',
      () => `/api/v1/runs/${runId}/metrics`,
      { ...metrics(), eventId: 'abc' },
      400,
      'validation_failed',
      'eventId',
    ],
    ['an unknown run', () => '/api/v1/runs/no-such-run/metrics', metrics(), 404, 'not_found', 'runId'],
    [
      'a run in an unknown experiment',
      () => '/api/v1/runs',
      { experimentId: 'no-such-experiment' },
      404,
      'not_found',
      'experimentId',
    ],
    [
      'a param value of the wrong type',
      () => `/api/v1/runs/${runId}/params`,
      { params: { lr: [1] } },
      400,
      'validation_failed',
      'params.lr',
    ],
    ['a fail without reason', () => `/api/v1/runs/${runId}/fail`, {}, 400, 'validation_failed', 'reason'],
    [
      'a body that is not an object',
      () => `/api/v1/runs/${runId}/tags`,
      '[1,2]',
      400,
      'validation_failed',
      'body',
    ],
  ];

  it.each(cases)('refuses %s', async (_name, path, body, status, error, field) => {
    const before = await logEnd(runlog.base);
    const response = await post<{ error: string; field: string; message: string }>(runlog.base, path(), body);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ error, field });
    expect(response.body.message).toEqual(expect.any(String));
    expect(await logEnd(runlog.base)).toBe(before);
  });

  it('refuses a body over the configured limit with 413, appending nothing', async () => {
    const before = await logEnd(runlog.base);
    const steps = Array.from({ length: 40_000 }, (_, i) => i);
    const response = await post(runlog.base, `/api/v1/runs/${runId}/metrics`, {
      metrics: [{ key: 'loss', steps, values: steps }],
    });
    expect(response).toMatchObject({ status: 413, body: { error: 'payload_too_large', field: 'body' } });
    expect(await logEnd(runlog.base)).toBe(before);
  });

  it('accepts the same request once it is well-formed (the checks are not refusing everything)', async () => {
    const before = await logEnd(runlog.base);
    expect(await post(runlog.base, `/api/v1/runs/${runId}/metrics`, metrics())).toMatchObject({
      status: 200,
    });
    expect(await logEnd(runlog.base)).toBeGreaterThan(before);
  });
});
