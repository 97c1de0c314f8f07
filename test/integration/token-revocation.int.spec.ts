import { randomBytes } from 'node:crypto';
import { GraphqlWsProbe } from '../support/graphql-ws-probe';
import type { RunlogProcess } from '../support/runlog-process';
import { useSharedEngines } from '../support/shared-engines';

/** The documented bound (README, "Identity and access"): RUNLOG_ACCESS_POLL_MS plus one read of the log. */
const POLL_MS = 500;
const REVOCATION_BOUND_MS = 3_000;
const BOOTSTRAP = randomBytes(32).toString('base64url');

async function until<T>(probe: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== null) return found;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Answer<T> {
  status: number;
  body: T;
}

async function call<T = Record<string, unknown>>(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  token: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/**
 * Two ingest processes and a gateway on one Kafka broker, authentication required: a token issued on one process
 * works at once on the others, and its revocation reaches every process (and the gateway's open subscriptions)
 * within the documented delay, because each follows the log's access topic.
 */
describe('API tokens across the processes of a Kafka deployment', () => {
  const engines = useSharedEngines('auth', {
    RUNLOG_AUTH: 'tokens',
    RUNLOG_BOOTSTRAP_TOKEN: BOOTSTRAP,
    RUNLOG_ACCESS_POLL_MS: String(POLL_MS),
  });
  let ingest: RunlogProcess[] = [];
  let gateway: RunlogProcess;

  beforeAll(async () => {
    ({ ingest } = await engines.startIngestPeers());
    gateway = await engines.start({ RUNLOG_ROLES: 'projector,gateway' });
  });

  const whoami = (base: string, token: string) => call(base, 'GET', '/api/v1/whoami', token);
  const graphqlWhoami = (token: string) =>
    call<{ data?: { whoami: { principal: string } }; errors?: { extensions: { code: string } }[] }>(
      gateway.base,
      'POST',
      '/graphql',
      token,
      { query: '{ whoami { principal } }' },
    );

  async function issue(roles: string[], principal: string) {
    const issued = await call<{ token: string; tokenId: string }>(
      ingest[0].base,
      'POST',
      '/api/v1/tokens',
      BOOTSTRAP,
      { roles, principal, workspace: 'default' },
    );
    expect(issued.status).toBe(201);
    return issued.body;
  }

  it('takes a token issued on one process at once on every other', async () => {
    const { token } = await issue(['writer'], 'fresh-bot');
    // No poll interval waited: a token id a process does not know makes it read the access topic first.
    expect((await whoami(ingest[1].base, token)).body).toMatchObject({
      principal: 'fresh-bot',
      kind: 'token',
    });
    expect((await graphqlWhoami(token)).body.data?.whoami.principal).toBe('fresh-bot');
  });

  it('refuses a revoked token on every process within the documented delay, and ends its subscriptions', async () => {
    const { token, tokenId } = await issue(['writer'], 'ci-bot');
    const experiment = await call<{ experimentId: string }>(
      ingest[1].base,
      'POST',
      '/api/v1/experiments',
      token,
      {
        name: 'revocation',
      },
    );
    expect(experiment.status).toBe(201);
    const run = await call<{ runId: string }>(
      ingest[0].base,
      'POST',
      '/api/v1/runs',
      token,
      { experimentId: experiment.body.experimentId },
      // Ignored: a token without actOnBehalf is recorded as itself.
      { 'x-runlog-actor': 'mallory' },
    );
    expect(run.status).toBe(201);
    const runId = run.body.runId;
    for (const { base } of ingest) {
      const logged = await call(base, 'POST', `/api/v1/runs/${runId}/metrics`, token, {
        metrics: [{ key: 'loss', steps: [1], values: [0.5] }],
      });
      expect(logged.status).toBe(200);
    }
    const socket = await GraphqlWsProbe.open(gateway.base, {
      connectionParams: { authorization: `Bearer ${token}` },
    });
    socket.subscribe('1', `subscription { runStatusChanged(runId: "${runId}") { status } }`);

    const revokedAt = Date.now();
    const revoked = await call(ingest[1].base, 'POST', `/api/v1/tokens/${tokenId}/revoke`, BOOTSTRAP, {
      reason: 'leaked in a CI log',
    });
    expect(revoked.status).toBe(200);
    const refusedAfter = await Promise.all(
      [...ingest.map((process) => process.base), gateway.base].map(async (base) => {
        for (;;) {
          const answer = base === gateway.base ? await graphqlWhoami(token) : await whoami(base, token);
          if (answer.status === 401) return Date.now() - revokedAt;
          if (Date.now() - revokedAt > 4 * REVOCATION_BOUND_MS) return Number.POSITIVE_INFINITY;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }),
    );
    for (const elapsed of refusedAfter) expect(elapsed).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
    expect((await socket.waitForClose(REVOCATION_BOUND_MS)).code).toBe(4403);

    // Writes with it are refused on every process, and nothing is appended for them.
    for (const { base } of ingest) {
      const refused = await call(base, 'POST', `/api/v1/runs/${runId}/metrics`, token, {
        metrics: [{ key: 'loss', steps: [2], values: [0.4] }],
      });
      expect(refused).toMatchObject({
        status: 401,
        body: { error: 'unauthenticated', field: 'authorization' },
      });
    }

    // Every event the token wrote carries its principal; the access stream records who issued and who revoked.
    const history = await until(async () => {
      const answer = await call<{ data: { runHistory: { type: string; actor: string }[] } }>(
        gateway.base,
        'POST',
        '/graphql',
        BOOTSTRAP,
        { query: `{ runHistory(runId: "${runId}") { type actor } }` },
      );
      return answer.body.data.runHistory.length > 0 ? answer : null;
    });
    expect(history.body.data.runHistory.length).toBeGreaterThan(0);
    expect(new Set(history.body.data.runHistory.map((event) => event.actor))).toEqual(new Set(['ci-bot']));
    const listed = await call<{
      tokens: { tokenId: string; issuedBy: string; revokedBy: string; revokeReason: string }[];
    }>(ingest[0].base, 'GET', '/api/v1/tokens', BOOTSTRAP);
    expect(listed.body.tokens.find((entry) => entry.tokenId === tokenId)).toMatchObject({
      issuedBy: 'bootstrap',
      revokedBy: 'bootstrap',
      revokeReason: 'leaked in a CI log',
    });
  });
});
