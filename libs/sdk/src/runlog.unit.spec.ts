import { RunlogClient } from './runlog';

interface Call {
  path: string;
  body: unknown;
}

/** A server stand-in that answers creates, records every request, and can refuse heartbeats like a dead server. */
function fakeServer(options: { heartbeatsFail?: boolean } = {}) {
  const calls: Call[] = [];
  const fetchImpl = (async (input: string | URL, init?: RequestInit) => {
    const path = new URL(String(input)).pathname;
    const body = init?.body ? JSON.parse(Buffer.from(init.body as Uint8Array).toString()) : null;
    calls.push({ path, body });
    if (path.endsWith('/heartbeat') && options.heartbeatsFail) throw new TypeError('connection refused');
    if (path === '/api/v1/experiments')
      return new Response(JSON.stringify({ experimentId: 'e1' }), { status: 201 });
    if (path === '/api/v1/runs') return new Response(JSON.stringify({ runId: 'r1' }), { status: 201 });
    return new Response(JSON.stringify({ appended: true }), { status: 200 });
  }) as typeof fetch;
  return { calls, fetchImpl };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RunlogClient (no server: a recording fetch)', () => {
  it('sends NaN and infinities as the strings the server keeps, and refuses a value that is not a number', async () => {
    const server = fakeServer();
    const client = new RunlogClient({
      baseUrl: 'http://runlog',
      fetch: server.fetchImpl,
      compress: false,
      flushOnExit: false,
    });
    const run = await client.startRun({ captureContext: false });
    await run.log({ loss: NaN, up: Infinity, down: -Infinity, ok: 0.5 }, 3);
    await expect(run.log({ loss: '1' as unknown as number }, 4)).rejects.toThrow(/"loss" is not a number/);
    await client.flush();
    const batch = server.calls.find((call) => call.path === '/api/v1/runs/r1/metrics')!.body as {
      metrics: { key: string; values: unknown[] }[];
    };
    expect(Object.fromEntries(batch.metrics.map((m) => [m.key, m.values]))).toEqual({
      loss: ['NaN'],
      up: ['Infinity'],
      down: ['-Infinity'],
      ok: [0.5],
    });
    await run.finish();
    await client.close();
  });

  it('has sent, when close() resolves, the points of log() calls that were still waiting for room', async () => {
    const server = fakeServer();
    const client = new RunlogClient({
      baseUrl: 'http://runlog',
      fetch: server.fetchImpl,
      compress: false,
      flushOnExit: false,
      flushEveryPoints: 2,
      maxQueuedPoints: 2,
    });
    const run = await client.startRun({ captureContext: false });
    // Not awaited, as a training loop that hands its points over and moves on: most wait for room.
    const logs = Array.from({ length: 20 }, (_, step) => run.log({ loss: step }, step));
    await client.close();
    const sent = [...server.calls]
      .filter((call) => call.path === '/api/v1/runs/r1/metrics')
      .flatMap((call) => (call.body as { metrics: { steps: number[] }[] }).metrics.flatMap((m) => m.steps));
    expect(sent.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, step) => step));
    await Promise.all(logs);
  });

  it('heartbeats while idle, one attempt each even when they fail, and stops at close()', async () => {
    const server = fakeServer({ heartbeatsFail: true });
    const client = new RunlogClient({
      baseUrl: 'http://runlog',
      fetch: server.fetchImpl,
      heartbeatIntervalMs: 100,
      flushOnExit: false,
      onError: (error) => {
        throw error;
      },
    });
    await client.startRun({ captureContext: false });
    await sleep(450);
    const beats = () => server.calls.filter((call) => call.path === '/api/v1/runs/r1/heartbeat').length;
    // About one per interval: a failed heartbeat is not retried (retries would show as a burst).
    expect(beats()).toBeGreaterThanOrEqual(2);
    expect(beats()).toBeLessThanOrEqual(5);
    await client.close();
    const atClose = beats();
    await sleep(300);
    expect(beats()).toBe(atClose);
  });

  it('sends the seeds as context when capture is off, and places the run in a sweep under a parent', async () => {
    const server = fakeServer();
    const client = new RunlogClient({
      baseUrl: 'http://runlog',
      fetch: server.fetchImpl,
      flushOnExit: false,
    });
    await client.startRun({ captureContext: false, seeds: { torch: 7 }, sweepId: 's1', parentRunId: 'p1' });
    expect(server.calls.find((call) => call.path === '/api/v1/runs')!.body).toMatchObject({
      context: { seeds: { torch: 7 } },
      sweepId: 's1',
      parentRunId: 'p1',
    });
    await client.close();
  });
});
