import { randomBytes } from 'node:crypto';
import {
  principalOf,
  roleOf,
  unknownTokenId,
  unknownWorkspace,
  type Answer,
  type Caller,
  type HttpCall,
} from './authz-client';
import {
  METRIC_KEY,
  READ_ARTIFACT_PATH,
  type Bootstrap,
  type ReadIds,
  type Workspace,
} from './authz-fixtures';
import { REGISTRY_ROUTE_CASES } from './authz-registry-route-cases';
import { MLFLOW_ROUTE_CASES } from './authz-mlflow-route-cases';

/** What a row's request may use: the fixture maker, its workspace and caller, and the shared read fixture. */
export interface RouteContext {
  setup: Bootstrap;
  workspace: Workspace;
  caller: Caller;
  read: Record<Workspace, ReadIds>;
  /** Content in the artifact store, to record under another run. */
  stored: { digest: string; size: number };
}

/**
 * How the matrix calls one route. `scoped`: it names something in a workspace (a run, an experiment, a token, the
 * workspace itself), so it gets a row for `own` and one for `other`; `global`: one row. `prepare` makes, fresh for
 * each row, what the request names and answers its id; the other workspace's row is then held equal to the same
 * request naming an unknown id, unless `other` says the route refuses it (creating something in a workspace).
 */
export interface RouteCase {
  scope: 'global' | 'scoped';
  other?: 'as-unknown' | 'forbidden';
  /** An id of the same shape that names nothing (default: a UUID). */
  unknown?: () => string;
  prepare?: (context: RouteContext) => Promise<string>;
  request: (id: string, context: RouteContext) => HttpCall;
  /** A successful request appends events (each must name the caller's principal as actor); else none. */
  appends: boolean;
  /** What the own row's successful answer must show (beyond its 2xx status). */
  shows?: (answer: Answer, id: string, caller: Caller) => boolean;
}

const runIn = ({ setup, workspace }: RouteContext) => setup.run(workspace).then(({ runId }) => runId);
const MEDIA_ARTIFACT = 'media/authz/table/1.json';
/** A run holding an artifact for the media route to name (recorded from the content already in the store). */
async function runWithArtifact({ setup, workspace, stored }: RouteContext): Promise<string> {
  const { runId } = await setup.run(workspace);
  await setup.ok({
    method: 'POST',
    path: `/api/v1/runs/${runId}/artifact-records`,
    body: { path: MEDIA_ARTIFACT, digest: stored.digest, size: stored.size, contentType: 'application/json' },
  });
  return runId;
}
const experimentIn = ({ setup, workspace }: RouteContext) => setup.experiment(workspace);
const readRunIn = async ({ read, workspace }: RouteContext) => read[workspace].runId;

/** A run command: POST /api/v1/runs/:runId/<action> with `body`, on a fresh running run unless `prepare` says. */
function runCommand(action: string, body: unknown, prepare = runIn, appends = true): RouteCase {
  return {
    scope: 'scoped',
    prepare,
    request: (id) => ({ method: 'POST', path: `/api/v1/runs/${id}/${action}`, body }),
    appends,
  };
}

function experimentCommand(action: string, body: unknown, prepare = experimentIn): RouteCase {
  return {
    scope: 'scoped',
    prepare,
    request: (id) => ({ method: 'POST', path: `/api/v1/experiments/${id}/${action}`, body }),
    appends: true,
  };
}

const get = (path: string): RouteCase => ({
  scope: 'global',
  request: () => ({ method: 'GET', path }),
  appends: false,
});

/** One entry per route of the server (its key as in ROUTE_PERMISSIONS): the matrix fails on a route without one. */
export const ROUTE_CASES: Readonly<Record<string, RouteCase>> = {
  'GET /healthz': get('/healthz'),
  'GET /healthz/subscriptions': get('/healthz/subscriptions'),
  'GET /metrics': get('/metrics'),
  'GET /api/v1/openapi.json': get('/api/v1/openapi.json'),
  'GET /api/v1/whoami': {
    ...get('/api/v1/whoami'),
    shows: (answer, _id, caller) =>
      caller === 'anonymous' || (answer.json as { principal?: string }).principal === principalOf(caller),
  },
  'POST /api/v1/tokens': {
    // Anyone may issue itself a token with roles it holds in a workspace: none in the other one.
    scope: 'scoped',
    other: 'forbidden',
    prepare: async ({ workspace }) => workspace,
    request: (workspace, { caller }) => ({
      method: 'POST',
      path: '/api/v1/tokens',
      body: { roles: [roleOf(caller)], workspace, description: 'matrix' },
    }),
    appends: true,
    shows: (answer, _id, caller) =>
      (answer.json as { issuedBy?: string }).issuedBy === principalOf(roleOf(caller)),
  },
  'GET /api/v1/tokens': {
    scope: 'scoped',
    unknown: unknownWorkspace,
    prepare: async ({ workspace }) => workspace,
    request: (workspace) => ({ method: 'GET', path: `/api/v1/tokens?workspace=${workspace}` }),
    appends: false,
    shows: (answer, _id, caller) => answer.text.includes(`"${principalOf(roleOf(caller))}"`),
  },
  'POST /api/v1/tokens/:tokenId/revoke': {
    // The caller's own token in `own`; another principal's in `other`, which it may not even see.
    scope: 'scoped',
    unknown: unknownTokenId,
    prepare: async ({ setup, workspace, caller }) =>
      (
        await setup.issue(
          ['viewer'],
          workspace,
          workspace === 'own' ? principalOf(roleOf(caller)) : 'other-user',
        )
      ).tokenId,
    request: (tokenId) => ({
      method: 'POST',
      path: `/api/v1/tokens/${tokenId}/revoke`,
      body: { reason: 'matrix' },
    }),
    appends: true,
  },
  'POST /api/v1/experiments': {
    scope: 'scoped',
    other: 'forbidden',
    prepare: async ({ workspace }) => workspace,
    request: (workspace) => ({
      method: 'POST',
      path: '/api/v1/experiments',
      body: { name: `matrix-${randomBytes(3).toString('hex')}` },
      headers: { 'x-runlog-workspace': workspace },
    }),
    appends: true,
  },
  'POST /api/v1/experiments/:experimentId/rename': {
    // A name an experiment of the workspace holds is taken: each row's is new.
    ...experimentCommand('rename', {}),
    request: (id) => ({
      method: 'POST',
      path: `/api/v1/experiments/${id}/rename`,
      body: { name: `renamed-${randomBytes(4).toString('hex')}` },
    }),
  },
  'POST /api/v1/experiments/:experimentId/archive': experimentCommand('archive', {}),
  'POST /api/v1/experiments/:experimentId/restore': experimentCommand('restore', {}, async (context) => {
    const id = await experimentIn(context);
    await context.setup.ok({ method: 'POST', path: `/api/v1/experiments/${id}/archive`, body: {} });
    return id;
  }),
  'POST /api/v1/experiments/:experimentId/retention': experimentCommand('retention', {
    rawPointsMaxAgeDays: 30,
  }),
  'POST /api/v1/experiments/:experimentId/tags': experimentCommand('tags', { tags: { team: 'matrix' } }),
  'POST /api/v1/experiments/:experimentId/tags/delete': experimentCommand(
    'tags/delete',
    { keys: ['team'] },
    async (context) => {
      const id = await experimentIn(context);
      await context.setup.ok({
        method: 'POST',
        path: `/api/v1/experiments/${id}/tags`,
        body: { tags: { team: 'a' } },
      });
      return id;
    },
  ),
  'POST /api/v1/sweeps': {
    // Made under the named experiment, in its workspace: another workspace's experiment is unknown.
    scope: 'scoped',
    prepare: experimentIn,
    request: (experimentId) => ({
      method: 'POST',
      path: '/api/v1/sweeps',
      body: { experimentId, name: 'matrix-sweep', searchSpace: { lr: { min: 0, max: 1 } } },
    }),
    appends: true,
  },
  'POST /api/v1/runs': {
    scope: 'scoped',
    prepare: experimentIn,
    request: (experimentId) => ({
      method: 'POST',
      path: '/api/v1/runs',
      body: { experimentId, name: 'matrix-run' },
    }),
    appends: true,
  },
  'POST /api/v1/runs/:runId/start': runCommand('start', {}, ({ setup, workspace }) =>
    setup.run(workspace, { queued: true }).then(({ runId }) => runId),
  ),
  'POST /api/v1/runs/:runId/rename': runCommand('rename', { name: 'renamed' }),
  'DELETE /api/v1/runs/:runId': {
    scope: 'scoped',
    prepare: runIn,
    request: (id) => ({ method: 'DELETE', path: `/api/v1/runs/${id}`, body: {} }),
    appends: true,
  },
  'POST /api/v1/runs/:runId/restore': runCommand('restore', {}, async (context) => {
    const id = await runIn(context);
    await context.setup.ok({ method: 'DELETE', path: `/api/v1/runs/${id}`, body: {} });
    return id;
  }),
  'POST /api/v1/runs/:runId/note': runCommand('note', { note: 'a note' }),
  'POST /api/v1/runs/:runId/inputs': runCommand('inputs', {
    inputs: [{ name: 'train', digest: 'sha256:matrix' }],
  }),
  // Records nothing while the run is heard from.
  'POST /api/v1/runs/:runId/heartbeat': runCommand('heartbeat', {}, runIn, false),
  'POST /api/v1/runs/:runId/params': runCommand('params', { params: { lr: 0.1 } }),
  'POST /api/v1/runs/:runId/tags': runCommand('tags', { tags: { team: 'matrix' } }),
  'POST /api/v1/runs/:runId/tags/delete': runCommand('tags/delete', { keys: ['team'] }, async (context) => {
    const id = await runIn(context);
    await context.setup.ok({
      method: 'POST',
      path: `/api/v1/runs/${id}/tags`,
      body: { tags: { team: 'a' } },
    });
    return id;
  }),
  'POST /api/v1/runs/:runId/metrics': runCommand('metrics', {
    metrics: [{ key: METRIC_KEY, steps: [0], values: [1] }],
  }),
  'POST /api/v1/runs/:runId/finish': runCommand('finish', {}),
  'POST /api/v1/runs/:runId/fail': runCommand('fail', { reason: 'matrix' }),
  'POST /api/v1/runs/:runId/kill': runCommand('kill', {}),
  'PUT /api/v1/runs/:runId/artifacts/*path': {
    scope: 'scoped',
    prepare: runIn,
    request: (id) => ({
      method: 'PUT',
      path: `/api/v1/runs/${id}/artifacts/out/upload.txt`,
      raw: { data: 'uploaded by the matrix', contentType: 'text/plain' },
    }),
    appends: true,
  },
  'POST /api/v1/runs/:runId/artifact-records': {
    scope: 'scoped',
    prepare: runIn,
    request: (id, { stored }) => ({
      method: 'POST',
      path: `/api/v1/runs/${id}/artifact-records`,
      body: { path: 'out/recorded.txt', digest: stored.digest, size: stored.size, contentType: 'text/plain' },
    }),
    appends: true,
  },
  'POST /api/v1/runs/:runId/media': {
    scope: 'scoped',
    prepare: runWithArtifact,
    request: (id) => ({
      method: 'POST',
      path: `/api/v1/runs/${id}/media`,
      body: { key: 'authz/table', step: 1, kind: 'table', path: MEDIA_ARTIFACT },
    }),
    appends: true,
  },
  'GET /api/v1/runs/:runId/artifacts': {
    scope: 'scoped',
    prepare: readRunIn,
    request: (id) => ({ method: 'GET', path: `/api/v1/runs/${id}/artifacts` }),
    appends: false,
    shows: (answer) => answer.text.includes(READ_ARTIFACT_PATH),
  },
  'GET /api/v1/runs/:runId/artifacts/*path': {
    scope: 'scoped',
    prepare: readRunIn,
    request: (id) => ({ method: 'GET', path: `/api/v1/runs/${id}/artifacts/${READ_ARTIFACT_PATH}` }),
    appends: false,
    shows: (answer) => answer.text.startsWith('artifact of own'),
  },
  'GET /api/v1/metrics/export': {
    scope: 'scoped',
    prepare: readRunIn,
    request: (id) => ({ method: 'GET', path: `/api/v1/metrics/export?runId=${id}&key=${METRIC_KEY}` }),
    appends: false,
    shows: (answer, id) => answer.text.includes(id),
  },
  'POST /api/v1/metrics/export': {
    scope: 'scoped',
    prepare: readRunIn,
    request: (id) => ({
      method: 'POST',
      path: '/api/v1/metrics/export',
      body: { runIds: [id], keys: [METRIC_KEY] },
    }),
    appends: false,
    shows: (answer, id) => answer.text.includes(id),
  },
  ...REGISTRY_ROUTE_CASES,
  ...MLFLOW_ROUTE_CASES,
  // A replay answers 202 and runs in the background: each row waits for the one before it to end.
  'POST /admin/replay': {
    scope: 'global',
    prepare: async ({ setup }) => {
      for (;;) {
        const status = await setup.ok<{ state: string }>({ method: 'GET', path: '/admin/replay' });
        if (!['preparing', 'replaying', 'comparing'].includes(status.state)) return '';
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    request: () => ({ method: 'POST', path: '/admin/replay', body: { swap: false } }),
    appends: false,
  },
  'GET /admin/replay': {
    scope: 'global',
    request: () => ({ method: 'GET', path: '/admin/replay' }),
    appends: false,
  },
  'POST /admin/dead-letters/reproject': {
    scope: 'global',
    request: () => ({ method: 'POST', path: '/admin/dead-letters/reproject', body: {} }),
    appends: false,
  },
  'POST /graphql': {
    scope: 'global',
    request: () => ({ method: 'POST', path: '/graphql', body: { query: '{ __typename }' } }),
    appends: false,
  },
  'GET /graphql': {
    scope: 'global',
    request: () => ({
      method: 'GET',
      path: `/graphql?query=${encodeURIComponent('{ __typename }')}`,
      // Apollo's CSRF prevention takes a GET only with a header a browser would have to preflight.
      headers: { 'apollo-require-preflight': 'true' },
    }),
    appends: false,
  },
};
