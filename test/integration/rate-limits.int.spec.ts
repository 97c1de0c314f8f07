import { randomBytes } from 'node:crypto';
import { RunlogClient } from '../../libs/sdk/src/runlog';
import { useRunlog } from '../support/runlog-process';
import { waitForProjection } from '../support/runlog-client';

const BOOTSTRAP = randomBytes(32).toString('base64url');
/** Small limits, so that one test crosses them without flooding the machine. */
const REQUEST_BURST = 30;
const POINT_RATE = 2_000;
const POINT_BURST = 2_000;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  token: string,
  body?: unknown,
): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

const points = (count: number, first = 0) => ({
  metrics: [
    {
      key: 'loss',
      steps: Array.from({ length: count }, (_, i) => first + i),
      values: Array.from({ length: count }, (_, i) => 1 / (1 + first + i)),
    },
  ],
});

/**
 * Fair use through the real HTTP surface: a token over its request or point rate gets 429 with Retry-After and
 * the RateLimit headers, a batch over the whole burst 413, and nothing it sent while refused is in the log; the
 * bootstrap token is never limited; the SDK waits out a 429 and every point lands.
 */
describe('rate limits per token', () => {
  const runlog = useRunlog({
    RUNLOG_AUTH: 'tokens',
    RUNLOG_BOOTSTRAP_TOKEN: BOOTSTRAP,
    RUNLOG_RATE_LIMIT_REQUESTS: String(REQUEST_BURST / 2),
    RUNLOG_RATE_LIMIT_REQUEST_BURST: String(REQUEST_BURST),
    RUNLOG_RATE_LIMIT_POINTS: String(POINT_RATE),
    RUNLOG_RATE_LIMIT_POINT_BURST: String(POINT_BURST),
  });

  async function issue(principal: string): Promise<string> {
    const issued = await call(runlog.base, 'POST', '/api/v1/tokens', BOOTSTRAP, {
      principal,
      workspace: 'fair',
      roles: ['viewer', 'writer'],
    });
    expect(issued.status).toBe(201);
    return String(issued.body.token);
  }

  it('answers a token past its request burst with 429, Retry-After and the RateLimit headers', async () => {
    const token = await issue('busy@lab');
    const answers = await Promise.all(
      Array.from({ length: REQUEST_BURST + 10 }, () => call(runlog.base, 'GET', '/api/v1/whoami', token)),
    );
    const allowed = answers.filter((answer) => answer.status === 200);
    const refused = answers.filter((answer) => answer.status === 429);
    expect(allowed.length).toBeLessThanOrEqual(REQUEST_BURST);
    expect(refused.length).toBeGreaterThanOrEqual(10);
    expect(allowed.length + refused.length).toBe(answers.length);
    expect(allowed[0].headers.get('ratelimit-limit')).toBe(String(REQUEST_BURST));
    for (const answer of refused) {
      expect(answer.body).toMatchObject({ error: 'rate_limited', field: 'authorization' });
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(answer.headers.get('ratelimit-remaining')).toBe('0');
      expect(answer.headers.get('ratelimit-policy')).toContain('"requests"');
    }
    // The bootstrap token (the operator) is never limited, even while this token is.
    const operator = await Promise.all(
      Array.from({ length: REQUEST_BURST + 10 }, () => call(runlog.base, 'GET', '/api/v1/whoami', BOOTSTRAP)),
    );
    expect(operator.map((answer) => answer.status)).toEqual(operator.map(() => 200));
    expect(operator[0].headers.get('ratelimit-limit')).toBeNull();
  });

  it('limits metric points: 413 past the burst, 429 past the rate, and a refused batch appends nothing', async () => {
    const token = await issue('points@lab');
    expect(
      (await call(runlog.base, 'POST', '/api/v1/experiments', token, { experimentId: 'fair-exp', name: 'f' }))
        .status,
    ).toBe(201);
    expect(
      (
        await call(runlog.base, 'POST', '/api/v1/runs', token, {
          experimentId: 'fair-exp',
          runId: 'fair-run',
        })
      ).status,
    ).toBe(201);
    const path = '/api/v1/runs/fair-run/metrics';

    const tooBig = await call(runlog.base, 'POST', path, token, points(POINT_BURST + 1));
    expect(tooBig.status).toBe(413);
    expect(tooBig.body).toMatchObject({ error: 'payload_too_large', field: 'metrics' });

    const first = await call(runlog.base, 'POST', path, token, points(POINT_BURST * 0.75));
    expect(first.status).toBe(200);
    const over = await call(runlog.base, 'POST', path, token, points(POINT_BURST * 0.75, POINT_BURST));
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ error: 'rate_limited' });
    const wait = Number(over.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);

    await new Promise((resolve) => setTimeout(resolve, wait * 1000 + 100));
    const later = await call(runlog.base, 'POST', path, token, points(POINT_BURST * 0.75, POINT_BURST));
    expect(later.status).toBe(200);

    await waitForProjection(runlog.base, 60_000, { authorization: `Bearer ${BOOTSTRAP}` });
    const stored = await call(runlog.base, 'POST', '/graphql', token, {
      query: '{ run(id: "fair-run") { metrics { key count } } }',
    });
    // The refused batches left nothing: two accepted batches of 1,500 points each.
    expect(stored.body).toEqual({ data: { run: { metrics: [{ key: 'loss', count: POINT_BURST * 1.5 }] } } });
  });

  it('the SDK waits out a 429 (Retry-After) and every point lands', async () => {
    const token = await issue('sdk@lab');
    const client = new RunlogClient({
      baseUrl: runlog.base,
      token,
      flushEveryPoints: 1_000,
      flushOnExit: false,
    });
    const total = POINT_BURST * 3;
    try {
      const run = await client.startRun({ experimentName: 'fair-sdk', name: 'throttled' });
      for (let step = 0; step < total; step++) await run.log({ loss: 1 / (1 + step) }, step);
      await run.finish();
      await client.flush();
      await waitForProjection(runlog.base, 60_000, { authorization: `Bearer ${BOOTSTRAP}` });
      const stored = await call(runlog.base, 'POST', '/graphql', token, {
        query: `{ run(id: "${run.runId}") { status metrics { key count } } }`,
      });
      expect(stored.body).toEqual({
        data: { run: { status: 'finished', metrics: [{ key: 'loss', count: total }] } },
      });
    } finally {
      await client.close();
    }
  }, 60_000);
});
