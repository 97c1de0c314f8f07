import { randomBytes } from 'node:crypto';
import { ACCESS_ROLES, GRAPHQL_PERMISSIONS, ROUTE_PERMISSIONS, type AccessRole } from '../../libs/access/src';
import type { EventEnvelope } from '../../libs/events/src/envelope';
import type { EventLog } from '../../libs/log/src/event-log';
import { GatewayModule } from '../../services/gateway/src/gateway.module';
import { IngestModule } from '../../services/ingest/src/ingest.module';
import { ProjectorModule } from '../../services/projector/src/projector.module';
import { HealthController } from '../../services/standalone/src/health.controller';
import {
  appendedBetween,
  bounded,
  call,
  FORGED_ACTOR,
  logEnds,
  principalOf,
  withoutIds,
  unknownId,
  type Answer,
  type Caller,
} from '../support/authz-client';
import { Bootstrap, unknownReadIds, type ReadIds, type Workspace } from '../support/authz-fixtures';
import { GRAPHQL_CASES } from '../support/authz-graphql-cases';
import { matrixRows, titled, type Row } from '../support/authz-matrix';
import { MlflowModule } from '../../services/mlflow/src/mlflow.module';
import { ROUTE_CASES, type RouteContext } from '../support/authz-route-cases';
import { firstAnswer, messagesSideBySide, refusedWithoutToken } from '../support/authz-subscriptions';
import { nestRoutes } from '../support/nest-routes';
import { useRunlog } from '../support/runlog-process';
import { openServerLog } from '../support/server-log';

/** Apollo serves these itself; each operation's root fields are checked against GRAPHQL_PERMISSIONS instead. */
const APOLLO_ROUTES = new Set(['POST /graphql', 'GET /graphql']);
const BOOTSTRAP = randomBytes(32).toString('base64url');

const routeRows = titled(matrixRows(ROUTE_PERMISSIONS, ROUTE_CASES));
const isSubscription = (surface: string) => surface.startsWith('Subscription.');
const queryRows = titled(matrixRows(GRAPHQL_PERMISSIONS, GRAPHQL_CASES, isSubscription));
const subscriptionRows = titled(
  matrixRows(GRAPHQL_PERMISSIONS, GRAPHQL_CASES, (surface) => !isSubscription(surface)),
);

/**
 * Issue 13's authorization matrix: every HTTP route and every GraphQL root field (from libs/access/src/permissions.ts)
 * × anonymous and each role's token in workspace `own` × a target in `own` and in `other`, each with the answer
 * the table implies; a refused request appends nothing, and what an allowed one appends names its token's principal
 * as actor, never the x-runlog-actor header every request sends. The route and field lists are read from the server
 * (its Nest controllers, its running schema), so a route or field without a table entry and a case fails here.
 */
describe('authorization matrix', () => {
  const server = useRunlog({
    RUNLOG_AUTH: 'tokens',
    RUNLOG_BOOTSTRAP_TOKEN: BOOTSTRAP,
    RUNLOG_STALE_AFTER_MS: '0',
    // Each caller's token sends hundreds of requests within seconds here; fair use has its own test (rate-limits).
    RUNLOG_RATE_LIMIT_REQUESTS: '0',
  });
  const tokens = {} as Record<AccessRole, string>;
  const read = {} as Record<Workspace, ReadIds>;
  const stored = { digest: '', size: 0 };
  let setup: Bootstrap;
  let log: EventLog;
  const tokenOf = (caller: Caller) => (caller === 'anonymous' ? null : tokens[caller]);

  beforeAll(async () => {
    setup = new Bootstrap(server.base, BOOTSTRAP);
    for (const role of ACCESS_ROLES)
      tokens[role] = (await setup.issue([role], 'own', principalOf(role))).token;
    // A token in the other workspace, which no caller of the matrix may see or revoke.
    await setup.issue(['viewer'], 'other', 'other-user');
    [read.own, read.other] = await Promise.all([setup.readFixture('own'), setup.readFixture('other')]);
    const content = `stored ${randomBytes(8).toString('hex')}`;
    stored.digest = await setup.upload((await setup.run('own')).runId, 'stored.txt', content);
    stored.size = Buffer.byteLength(content);
    await setup.waitForProjection();
    log = await openServerLog(server.dataDir);
  });
  afterAll(async () => {
    await log?.close();
  });

  describe('covers every surface', () => {
    it('every route of the server has an entry, and every entry is a route', () => {
      const routes = nestRoutes(
        [IngestModule, GatewayModule, MlflowModule, ProjectorModule],
        [HealthController],
      );
      const table = Object.keys(ROUTE_PERMISSIONS).filter((key) => !APOLLO_ROUTES.has(key));
      expect(routes.filter((route) => !(route in ROUTE_PERMISSIONS))).toEqual([]);
      expect(table.filter((key) => !routes.includes(key))).toEqual([]);
    });

    it('every root field of the running schema has an entry, and every entry is a field', async () => {
      const answer = await setup.graphql(
        '{ q: __type(name: "Query") { fields { name } } m: __type(name: "Mutation") { fields { name } } ' +
          's: __type(name: "Subscription") { fields { name } } }',
      );
      const types = (answer.json as { data: Record<'q' | 'm' | 's', { fields: { name: string }[] } | null> })
        .data;
      const fields = [
        ...(types.q?.fields ?? []).map(({ name }) => `Query.${name}`),
        ...(types.m?.fields ?? []).map(({ name }) => `Mutation.${name}`),
        ...(types.s?.fields ?? []).map(({ name }) => `Subscription.${name}`),
      ];
      const meta = ['Query.__schema', 'Query.__type', 'Query.__typename'];
      expect(fields.sort()).toEqual(
        Object.keys(GRAPHQL_PERMISSIONS)
          .filter((key) => !meta.includes(key))
          .sort(),
      );
    });

    it('the matrix has a case for exactly the entries of the tables', () => {
      expect(Object.keys(ROUTE_CASES).sort()).toEqual(Object.keys(ROUTE_PERMISSIONS).sort());
      expect(Object.keys(GRAPHQL_CASES).sort()).toEqual(Object.keys(GRAPHQL_PERMISSIONS).sort());
    });
  });

  /** Refusals: the status, the body's error and field, and for 401 the challenge header. */
  function expectRefusal(answer: Answer, row: Row) {
    const { expected } = row;
    const seen = { status: answer.status, body: answer.json ?? answer.text.slice(0, 300) };
    if (APOLLO_ROUTES.has(row.surface)) {
      // Apollo's routes refuse as GraphQL does: the status, and the code in the first error's extensions.
      const status = expected.kind === 'unauthenticated' ? 401 : 403;
      const code = expected.kind === 'unauthenticated' ? 'UNAUTHENTICATED' : 'FORBIDDEN';
      expect(seen).toMatchObject({
        status,
        body: { errors: [{ extensions: { code, field: 'authorization' } }] },
      });
    } else if (expected.kind === 'unauthenticated') {
      expect(seen).toMatchObject({ status: 401, body: { error: 'unauthenticated', field: 'authorization' } });
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
    } else if (expected.kind === 'forbidden') {
      expect(seen).toMatchObject({
        status: 403,
        body: { error: 'forbidden', ...(expected.edge ? { field: 'authorization' } : {}) },
      });
    }
  }

  /** What a successful request appended: each event's actor is the token's principal, never the header's. */
  function expectActors(events: EventEnvelope[], caller: Caller) {
    const actors = events.map((event) => ({ actor: event.actor, onBehalfOf: event.onBehalfOf }));
    const principal = caller === 'anonymous' ? 'anonymous' : principalOf(caller);
    expect(actors).toEqual(events.map(() => ({ actor: principal, onBehalfOf: undefined })));
    expect(JSON.stringify(actors)).not.toContain(FORGED_ACTOR);
  }

  describe('GraphQL queries', () => {
    async function ask(caller: Caller, surface: string, ids: ReadIds) {
      const operation = GRAPHQL_CASES[surface].operation(ids);
      return call(server.base, tokenOf(caller), { method: 'POST', path: '/graphql', body: operation });
    }

    it.each(queryRows)('%s', async (_title, row) => {
      const found = GRAPHQL_CASES[row.surface];
      if (!found) throw new Error(`no GraphQL case for ${row.surface}`);
      const target = row.workspace === 'other' ? read.other : read.own;
      const before = await logEnds(log);
      const answer = await ask(row.caller, row.surface, target);
      const body = answer.json as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
      switch (row.expected.kind) {
        case 'ok':
          expect({ status: answer.status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
          if (row.workspace === 'own') expect(found.shows?.(answer.text, read.own) ?? true).toBe(true);
          if (row.surface === 'Query.whoami' && row.caller !== 'anonymous')
            expect(answer.text).toContain(`"principal":"${principalOf(row.caller)}"`);
          break;
        case 'unauthenticated':
        case 'forbidden': {
          const code = row.expected.kind === 'unauthenticated' ? 'UNAUTHENTICATED' : 'FORBIDDEN';
          const status = row.expected.kind === 'unauthenticated' ? 401 : 403;
          expect({
            status: answer.status,
            code: body.errors?.[0]?.extensions?.code,
            data: body.data ?? null,
          }).toEqual({ status, code, data: null });
          break;
        }
        case 'as-unknown': {
          const unknown = unknownReadIds();
          const asUnknown = await ask(row.caller, row.surface, unknown);
          expect(withoutIds(answer, Object.values(read.other))).toEqual(
            withoutIds(asUnknown, Object.values(unknown)),
          );
          if (found.absent) {
            for (const id of Object.values(read.other)) expect(answer.text).not.toContain(id);
          }
          break;
        }
      }
      expect(await appendedBetween(log, before, await logEnds(log))).toEqual([]);
    });
  });

  describe('GraphQL subscriptions', () => {
    let step = 100;
    const newPoint = (runId: string) => () => setup.logPoints(runId, [step++]);

    it.each(subscriptionRows)('%s', async (_title, row) => {
      const found = GRAPHQL_CASES[row.surface];
      if (!found) throw new Error(`no GraphQL case for ${row.surface}`);
      const token = tokenOf(row.caller);
      if (row.expected.kind === 'unauthenticated' || token === null) {
        expect(await refusedWithoutToken(server.base, found.operation(read.own))).toMatch(
          /^(closed 4403|error UNAUTHENTICATED)$/,
        );
        return;
      }
      if (row.expected.kind === 'ok') {
        const answer = await firstAnswer(
          server.base,
          token,
          found.operation(read.own),
          newPoint(read.own.runId),
        );
        expect(answer.type).toBe('next');
        expect(JSON.stringify(answer)).toContain(read.own.runId);
        return;
      }
      const unknown = unknownReadIds();
      const [other, asUnknown] = await messagesSideBySide(
        server.base,
        token,
        [
          { operation: found.operation(read.other), ids: Object.values(read.other) },
          { operation: found.operation(unknown), ids: Object.values(unknown) },
        ],
        newPoint(read.other.runId),
      );
      expect(other).toEqual(asUnknown);
    });
  });

  describe('HTTP routes', () => {
    /** Each row's target, made fresh for it (a write changes its target), before the rows run. */
    const targets = new Map<string, string>();
    const contextOf = (row: Row): RouteContext => ({
      setup,
      workspace: row.workspace === 'other' ? 'other' : 'own',
      caller: row.caller,
      read,
      stored,
    });
    /** Runs a successful row wrote to, with who wrote, for the GraphQL history check at the end. */
    const written: { surface: string; runId: string; principal: string }[] = [];

    beforeAll(async () => {
      await bounded(routeRows, 6, async ([title, row]) => {
        const prepare = ROUTE_CASES[row.surface]?.prepare;
        targets.set(title, prepare ? await prepare(contextOf(row)) : '');
      });
    });

    it.each(routeRows)('%s', async (title, row) => {
      const found = ROUTE_CASES[row.surface];
      if (!found) throw new Error(`no route case for ${row.surface}`);
      const id = targets.get(title) ?? '';
      const context = contextOf(row);
      const before = await logEnds(log);
      const answer = await call(server.base, tokenOf(row.caller), found.request(id, context));
      const appended = await appendedBetween(log, before, await logEnds(log));
      if (row.expected.kind === 'ok') {
        expect(
          answer.status >= 200 && answer.status < 300
            ? 'ok'
            : `${answer.status} ${answer.text.slice(0, 300)}`,
        ).toBe('ok');
        expect(found.shows?.(answer, id, row.caller) ?? true).toBe(true);
        if (found.appends) expect(appended.length).toBeGreaterThan(0);
        else expect(appended).toEqual([]);
        expectActors(appended, row.caller);
        const runId = /^\/api\/v1\/runs\/([^/?]+)/.exec(found.request(id, context).path)?.[1];
        // The history holds the run's lifecycle stream; metric batches are on their own topic (checked above).
        if (runId && row.caller !== 'anonymous' && appended.some((event) => event.type !== 'metrics.logged'))
          written.push({ surface: row.surface, runId, principal: principalOf(row.caller) });
        return;
      }
      expect(appended).toEqual([]);
      if (row.expected.kind !== 'as-unknown') {
        expectRefusal(answer, row);
        return;
      }
      const unknown = (found.unknown ?? unknownId)();
      const asUnknown = await call(server.base, tokenOf(row.caller), found.request(unknown, context));
      expect(withoutIds(answer, [id])).toEqual(withoutIds(asUnknown, [unknown]));
      // Nothing can be written to an id that names nothing: the comparison is with a refusal, not a no-op.
      if (found.appends) expect(asUnknown.status).toBeGreaterThanOrEqual(400);
      expect(await appendedBetween(log, before, await logEnds(log))).toEqual([]);
    });

    it('the GraphQL history of every run written to names the token principal as actor', async () => {
      await setup.waitForProjection();
      expect(written.length).toBeGreaterThan(0);
      const histories = await bounded(written, 4, async ({ surface, runId, principal }) => {
        const answer = await setup.graphql('query($id: ID!) { runHistory(runId: $id) { actor } }', {
          id: runId,
        });
        const events = (answer.json as { data: { runHistory: { actor: string }[] } }).data.runHistory;
        return { surface, principal, actors: [...new Set(events.map((event) => event.actor))].sort() };
      });
      expect(histories).toEqual(
        histories.map(({ surface, principal }) => ({
          surface,
          principal,
          actors: ['bootstrap', principal].sort(),
        })),
      );
    });
  });
});
