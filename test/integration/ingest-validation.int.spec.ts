import { createExperimentAndRun, logEnd, post } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

/** Every refused request names the field at fault, and the log's end does not move. */
describe('ingest refuses bad input with a 4xx naming the field, appending nothing', () => {
  const runlog = useRunlog({ RUNLOG_MAX_BODY_BYTES: String(256 * 1024) });
  let runId: string;
  let experimentId: string;

  beforeAll(async () => {
    ({ runId, experimentId } = await createExperimentAndRun(runlog.base, 'validation'));
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
      'a non-finite value not spelled NaN, Infinity or -Infinity',
      () => `/api/v1/runs/${runId}/metrics`,
      metrics({ values: [1, 'nan'] }),
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
    [
      'an experiment name with a leading space',
      () => '/api/v1/experiments',
      { name: ' resnet' },
      400,
      'validation_failed',
      'name',
    ],
    [
      'an experiment renamed to a name with a control character',
      () => `/api/v1/experiments/${experimentId}/rename`,
      { name: 'res\u0007net' },
      400,
      'validation_failed',
      'name',
    ],
    [
      'a sweep without a search space',
      () => '/api/v1/sweeps',
      { experimentId: 'whatever', searchSpace: {} },
      400,
      'validation_failed',
      'searchSpace',
    ],
    [
      'a sweep objective with an unknown goal',
      () => '/api/v1/sweeps',
      {
        experimentId: 'e',
        searchSpace: { lr: { values: [1] } },
        objective: { metric: 'loss', goal: 'best' },
      },
      400,
      'validation_failed',
      'objective.goal',
    ],
    [
      'an input without a digest',
      () => `/api/v1/runs/${runId}/inputs`,
      { inputs: [{ name: 'mnist' }] },
      400,
      'validation_failed',
      'inputs[0].digest',
    ],
    [
      'a context whose commit is not a hash',
      () => '/api/v1/runs',
      { experimentId: 'e', context: { code: { commit: 'HEAD' } } },
      400,
      'validation_failed',
      'context.code.commit',
    ],
    [
      'a note over 64 KiB',
      () => `/api/v1/runs/${runId}/note`,
      { note: 'x'.repeat(65537) },
      400,
      'validation_failed',
      'note',
    ],
    [
      'a parent run id that is not an id',
      () => '/api/v1/runs',
      { experimentId: 'e', parentRunId: '../etc' },
      400,
      'validation_failed',
      'parentRunId',
    ],
    [
      'an unknown field on a heartbeat',
      () => `/api/v1/runs/${runId}/heartbeat`,
      { alive: true },
      400,
      'validation_failed',
      'alive',
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
