import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenView } from '../token-api';

/** For the CLI's unit specs: a request as the stand-in received it. */
export interface ReceivedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export const ISSUED_TOKEN_ID = 'a1b2c3d4e5f60718';
export const ISSUED_SECRET = `rl_${ISSUED_TOKEN_ID}_9f8e7d6c5b4a39281706f5e4d3c2b1a0`;

export const LISTED_TOKENS: TokenView[] = [
  {
    tokenId: '0123456789abcdef',
    principal: 'ci',
    workspace: 'vision',
    roles: ['viewer', 'writer'],
    issuedAt: '2026-01-02T03:04:05.678Z',
    issuedBy: 'alice',
    expiresAt: null,
    description: 'nightly',
  },
  {
    tokenId: 'fedcba9876543210',
    principal: 'bob',
    workspace: 'vision',
    roles: ['admin'],
    issuedAt: '2026-01-03T00:00:00.000Z',
    issuedBy: 'alice',
    expiresAt: '2026-02-01T00:00:00.000Z',
    revokedAt: '2026-01-10T12:00:00.000Z',
    revokedBy: 'alice',
    revokeReason: 'left the team',
  },
];

/**
 * The ingest API's token routes on a real socket (answers shaped as services/ingest/src/access/tokens.service.ts):
 * records every request; `refusals` maps "METHOD /path" to a status and body answered instead.
 */
export async function startTokenApiStandIn(refusals: Record<string, [number, unknown]> = {}) {
  const received: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://stand-in');
      const text = Buffer.concat(chunks).toString();
      const body = (text ? JSON.parse(text) : undefined) as Record<string, unknown> | undefined;
      received.push({
        method: request.method ?? '',
        path: url.pathname + url.search,
        headers: request.headers,
        body,
      });
      const answer = (status: number, payload: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(payload));
      };
      const route = `${request.method} ${url.pathname}`;
      const refusal = refusals[route];
      if (refusal) return answer(...refusal);
      if (route === 'GET /api/v1/whoami') {
        return answer(200, {
          principal: 'ci',
          kind: 'token',
          tokenId: '0123456789abcdef',
          grants: { vision: ['viewer', 'writer'], '*': ['viewer'] },
          actOnBehalf: false,
        });
      }
      if (route === 'POST /api/v1/tokens') {
        return answer(201, {
          tokenId: ISSUED_TOKEN_ID,
          principal: body?.principal ?? 'ci',
          workspace: body?.workspace ?? request.headers['x-runlog-workspace'] ?? 'default',
          roles: body?.roles,
          issuedAt: '2026-03-01T00:00:00.000Z',
          issuedBy: 'ci',
          expiresAt: body?.expiresAt ?? null,
          description: body?.description ?? null,
          actOnBehalf: body?.actOnBehalf ?? false,
          token: ISSUED_SECRET,
        });
      }
      if (route === 'GET /api/v1/tokens') return answer(200, { tokens: LISTED_TOKENS });
      const revoke = /^\/api\/v1\/tokens\/([^/]+)\/revoke$/.exec(url.pathname);
      if (request.method === 'POST' && revoke) {
        return answer(200, { tokenId: revoke[1], revokedAt: '2026-03-01T00:00:01.234Z', revokedBy: 'ci' });
      }
      return answer(404, { error: 'not_found', message: `no route ${route}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { baseUrl, received, close };
}

/** stdout and stderr as strings, for runCli. */
export function capturedOutput() {
  const output = { stdout: '', stderr: '' };
  return {
    output,
    stdout: { write: (text: string) => (output.stdout += text) },
    stderr: { write: (text: string) => (output.stderr += text) },
  };
}
