import { randomBytes } from 'node:crypto';
import { READ_ARTIFACT_PATH } from './authz-fixtures';
import type { RouteCase, RouteContext } from './authz-route-cases';

/**
 * MLflow's dialect: one dispatching route per method and prefix. Each case asks something every principal may
 * ask (a read); the writes behind the same routes are refused or allowed by ingest, per target, as the native
 * routes' own rows check.
 */
const readRun = async ({ read, workspace }: RouteContext) => read[workspace].runId;
const experimentOfRun = new Map<string, string>();
const unknownModel = () => `matrix-model-${randomBytes(6).toString('hex')}`;

function mlflowCases(prefix: string): Record<string, RouteCase> {
  return {
    [`GET ${prefix}/*path`]: {
      scope: 'scoped',
      prepare: readRun,
      request: (runId) => ({ method: 'GET', path: `${prefix}/runs/get?run_id=${runId}` }),
      appends: false,
      shows: (answer, runId) =>
        (answer.json as { run?: { info?: { run_id?: string } } }).run?.info?.run_id === runId,
    },
    [`PATCH ${prefix}/*path`]: {
      scope: 'scoped',
      unknown: unknownModel,
      prepare: ({ setup, workspace }) => setup.model(workspace),
      request: (name) => ({
        method: 'PATCH',
        path: `${prefix}/registered-models/update`,
        body: { name, description: 'set through MLflow' },
      }),
      appends: true,
    },
    [`DELETE ${prefix}/*path`]: {
      scope: 'scoped',
      unknown: unknownModel,
      prepare: ({ setup, workspace }) => setup.model(workspace, { tags: { stale: 'yes' } }),
      request: (name) => ({
        method: 'DELETE',
        path: `${prefix}/registered-models/delete-tag`,
        body: { name, key: 'stale' },
      }),
      appends: true,
    },
    [`POST ${prefix}/*path`]: {
      scope: 'scoped',
      prepare: async ({ read, workspace }) => read[workspace].experimentId,
      request: (experimentId) => ({
        method: 'POST',
        path: `${prefix}/runs/search`,
        body: { experiment_ids: [experimentId], max_results: 10 },
      }),
      appends: false,
    },
  };
}

function artifactCases(prefix: string): Record<string, RouteCase> {
  const root = `${prefix}/artifacts`;
  const experimentOf = ({ read, workspace }: RouteContext) => read[workspace].experimentId;
  return {
    [`GET ${root}`]: {
      scope: 'scoped',
      prepare: readRun,
      request: (runId, context) => ({
        method: 'GET',
        path: `${root}?path=${experimentOf(context)}/${runId}/artifacts`,
      }),
      appends: false,
      shows: (answer) => answer.text.includes('"is_dir"'),
    },
    [`GET ${root}/*path`]: {
      scope: 'scoped',
      prepare: readRun,
      request: (runId, context) => ({
        method: 'GET',
        path: `${root}/${experimentOf(context)}/${runId}/artifacts/${READ_ARTIFACT_PATH}`,
      }),
      appends: false,
    },
    [`PUT ${root}/*path`]: {
      scope: 'scoped',
      prepare: async ({ setup, workspace }) => {
        const { runId, experimentId } = await setup.run(workspace);
        experimentOfRun.set(runId, experimentId);
        return runId;
      },
      request: (runId) => ({
        method: 'PUT',
        path: `${root}/${experimentOfRun.get(runId) ?? '0'}/${runId}/artifacts/matrix.txt`,
        raw: { data: 'matrix', contentType: 'text/plain' },
      }),
      appends: true,
    },
  };
}

export const MLFLOW_ROUTE_CASES: Readonly<Record<string, RouteCase>> = {
  'GET /health': { scope: 'global', request: () => ({ method: 'GET', path: '/health' }), appends: false },
  'GET /version': { scope: 'global', request: () => ({ method: 'GET', path: '/version' }), appends: false },
  'GET /api/3.0/mlflow/server-info': {
    scope: 'global',
    request: () => ({ method: 'GET', path: '/api/3.0/mlflow/server-info' }),
    appends: false,
  },
  ...mlflowCases('/api/2.0/mlflow'),
  ...mlflowCases('/ajax-api/2.0/mlflow'),
  ...artifactCases('/api/2.0/mlflow-artifacts'),
  ...artifactCases('/ajax-api/2.0/mlflow-artifacts'),
};
