import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { WebSocketConstructor } from './follow';
import { RunlogClient, RunlogRequestError } from './runlog';

interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A Runlog stand-in on a real socket: records each request's headers, answers the routes the SDK calls, refuses the
 * first request to a path listed in `limitedOnce` with 429 and `Retry-After: 1`, and takes graphql-ws connections.
 */
async function standIn(limitedOnce: string[] = []) {
  const seen: Seen[] = [];
  const inits: unknown[] = [];
  const limited = new Set(limitedOnce);
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://x');
      seen.push({
        method: request.method ?? '',
        path: url.pathname + url.search,
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        response.writeHead(status, { 'content-type': 'application/json', ...headers });
        response.end(JSON.stringify(body));
      };
      if (limited.delete(url.pathname)) return answer(429, { error: 'rate_limited' }, { 'retry-after': '1' });
      if (url.pathname === '/api/v1/experiments') return answer(201, { experimentId: 'e1' });
      if (url.pathname === '/api/v1/runs') return answer(201, { runId: 'r1' });
      if (url.pathname === '/graphql') return answer(200, { data: { ok: true } });
      if (url.pathname === '/api/v1/metrics/export') {
        response.writeHead(200, { 'content-type': 'text/csv' });
        return response.end('run_id,key,step,value,timestamp,worker\nr1,loss,0,1,2026-01-01 00:00:00.000,\n');
      }
      if (url.pathname === '/api/v1/whoami') {
        if (request.headers.authorization !== 'Bearer rl_t1_s3cret')
          return answer(401, { error: 'unauthorized' });
        return answer(200, { principal: 'ci', kind: 'token', tokenId: 't1', grants: { ml: ['writer'] } });
      }
      if (url.pathname === '/api/v1/tokens' && request.method === 'POST') {
        return answer(201, {
          tokenId: 't2',
          token: 'rl_t2_x',
          principal: 'ci',
          workspace: 'ml',
          roles: ['viewer'],
        });
      }
      if (url.pathname === '/api/v1/tokens') return answer(200, { tokens: [] });
      if (url.pathname.endsWith('/revoke'))
        return answer(200, { tokenId: 't2', revokedAt: 'now', revokedBy: 'ci' });
      return answer(200, { appended: true });
    });
  });
  const sockets = new WebSocketServer({ server, path: '/graphql' });
  sockets.on('connection', (socket) =>
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { type: string; payload?: unknown };
      if (message.type === 'connection_init') {
        inits.push(message.payload);
        socket.close(4403, 'Forbidden');
      }
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async () => {
    sockets.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { baseUrl, seen, inits, close };
}

const quiet = { flushOnExit: false, compress: false } as const;

describe('RunlogClient credentials', () => {
  const saved = process.env.RUNLOG_TOKEN;
  afterEach(() => {
    if (saved === undefined) delete process.env.RUNLOG_TOKEN;
    else process.env.RUNLOG_TOKEN = saved;
  });

  it('sends the token as a bearer on every HTTP request: writes, GraphQL, export and the token API', async () => {
    const server = await standIn();
    const client = new RunlogClient({
      baseUrl: server.baseUrl,
      token: 'rl_t1_s3cret',
      workspace: 'ml',
      ...quiet,
    });
    try {
      const run = await client.startRun({ captureContext: false });
      await run.log({ loss: 1 }, 0);
      await client.flush();
      await client.graphql('{ ok }');
      for await (const point of client.exportMetrics({ runIds: ['r1'] })) expect(point.key).toBe('loss');
      expect(await client.whoami()).toMatchObject({ principal: 'ci', tokenId: 't1' });
      await client.issueToken({ roles: ['viewer'], expiresAt: new Date('2027-01-01T00:00:00Z') });
      await client.listTokens({ workspace: 'ml team' });
      await client.revokeToken('t2', 'rotated');
      await run.finish();
      await client.close();
      expect(server.seen.length).toBeGreaterThanOrEqual(9);
      for (const request of server.seen) {
        expect(request.headers.authorization).toBe('Bearer rl_t1_s3cret');
        expect(request.headers['x-runlog-workspace']).toBe('ml');
      }
      const issue = server.seen.find((r) => r.method === 'POST' && r.path === '/api/v1/tokens')!;
      expect(JSON.parse(issue.body)).toEqual({ roles: ['viewer'], expiresAt: '2027-01-01T00:00:00.000Z' });
      expect(server.seen.some((r) => r.path === '/api/v1/tokens?workspace=ml%20team')).toBe(true);
      const revoke = server.seen.find((r) => r.path === '/api/v1/tokens/t2/revoke')!;
      expect(JSON.parse(revoke.body)).toEqual({ reason: 'rotated' });
    } finally {
      await server.close();
    }
  });

  it('takes RUNLOG_TOKEN when the options have none, and sends no authorization when neither does', async () => {
    const server = await standIn();
    try {
      process.env.RUNLOG_TOKEN = 'rl_t1_s3cret';
      expect(await new RunlogClient({ baseUrl: server.baseUrl, ...quiet }).whoami()).toMatchObject({
        principal: 'ci',
      });
      process.env.RUNLOG_TOKEN = '';
      const anonymous = new RunlogClient({ baseUrl: server.baseUrl, ...quiet });
      await expect(anonymous.whoami()).rejects.toMatchObject({ status: 401 });
      await expect(anonymous.whoami()).rejects.toBeInstanceOf(RunlogRequestError);
      expect(server.seen.at(-1)!.headers.authorization).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('refuses a token a header cannot carry, rather than failing every request as a network error', () => {
    expect(() => new RunlogClient({ baseUrl: 'http://x', token: 'rl_a\nb', ...quiet })).toThrow(
      /printable ASCII/,
    );
  });

  it('puts the token in the graphql-ws init payload when following a run', async () => {
    const server = await standIn();
    const client = new RunlogClient({ baseUrl: server.baseUrl, token: 'rl_t1_s3cret', ...quiet });
    try {
      const follow = client.follow('r1', { webSocket: WebSocket as unknown as WebSocketConstructor });
      await expect(follow[Symbol.asyncIterator]().next()).rejects.toMatchObject({ closeCode: 4403 });
      expect(server.inits).toEqual([{ authorization: 'Bearer rl_t1_s3cret' }]);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('waits out a 429 for its Retry-After before sending again: a write, a GraphQL query, a token call', async () => {
    const server = await standIn(['/api/v1/experiments', '/graphql', '/api/v1/whoami']);
    const client = new RunlogClient({
      baseUrl: server.baseUrl,
      token: 'rl_t1_s3cret',
      retryBaseDelayMs: 1,
      ...quiet,
    });
    try {
      const started = Date.now();
      await Promise.all([
        client.startRun({ captureContext: false }),
        client.graphql('{ ok }'),
        client.whoami(),
      ]);
      // Without the header the backoff would be ~1 ms (writes) or ~200 ms (reads).
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      for (const path of ['/api/v1/experiments', '/graphql', '/api/v1/whoami']) {
        expect(server.seen.filter((r) => r.path === path)).toHaveLength(2);
      }
    } finally {
      await client.close();
      await server.close();
    }
  });
});
