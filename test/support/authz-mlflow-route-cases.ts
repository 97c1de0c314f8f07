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

/**
 * MLflow's multipart upload: create, complete and abort act on a run (write); a part is sent without credentials to
 * the URL create answered, so its rows are global. A row's id is its run's; what else its request needs (the run's
 * experiment, the upload and the part's ETag) is kept beside it.
 */
const uploadOfRun = new Map<string, { experimentId: string; uploadId: string; etag: string }>();

function multipartCases(prefix: string): Record<string, RouteCase> {
  const of = (runId: string) =>
    uploadOfRun.get(runId) ?? { experimentId: '0', uploadId: 'none', etag: '"x"' };
  const folder = (runId: string) => `${of(runId).experimentId}/${runId}/artifacts`;
  const unknown = () => randomBytes(16).toString('hex');
  /** A fresh run, with an upload open on it when asked, and maybe its one part sent. */
  const prepared =
    (steps: { open: boolean; sendPart: boolean }) =>
    async ({ setup, workspace }: RouteContext): Promise<string> => {
      const { runId, experimentId } = await setup.run(workspace);
      uploadOfRun.set(runId, { experimentId, uploadId: 'none', etag: '"x"' });
      // The dialect reads the run from the projection, and waits only for writes made through it.
      await setup.waitForProjection();
      if (!steps.open) return runId;
      const made = await setup.ok<{ upload_id: string; credentials: { url: string }[] }>({
        method: 'POST',
        path: `${prefix}/mpu/create/${folder(runId)}`,
        body: { path: 'large.bin', num_parts: 1 },
      });
      let etag = '"x"';
      if (steps.sendPart) {
        const sent = await fetch(made.credentials[0].url, { method: 'PUT', body: 'matrix' });
        etag = sent.headers.get('etag') ?? '';
      }
      uploadOfRun.set(runId, { experimentId, uploadId: made.upload_id, etag });
      return runId;
    };
  return {
    [`POST ${prefix}/mpu/create/*path`]: {
      scope: 'scoped',
      unknown,
      prepare: prepared({ open: false, sendPart: false }),
      request: (runId) => ({
        method: 'POST',
        path: `${prefix}/mpu/create/${folder(runId)}`,
        body: { path: 'large.bin', num_parts: 2 },
      }),
      appends: false,
      shows: (answer) => (answer.json as { credentials?: unknown[] }).credentials?.length === 2,
    },
    [`PUT ${prefix}/mpu/parts/:uploadId/:part`]: {
      scope: 'global',
      prepare: prepared({ open: true, sendPart: false }),
      request: (runId) => ({
        method: 'PUT',
        path: `${prefix}/mpu/parts/${of(runId).uploadId}/1`,
        raw: { data: 'matrix', contentType: 'application/octet-stream' },
      }),
      appends: false,
      shows: (answer) => (answer.headers.get('etag') ?? '').length > 2,
    },
    [`POST ${prefix}/mpu/complete/*path`]: {
      scope: 'scoped',
      unknown,
      prepare: prepared({ open: true, sendPart: true }),
      request: (runId) => ({
        method: 'POST',
        path: `${prefix}/mpu/complete/${folder(runId)}`,
        body: {
          path: 'large.bin',
          upload_id: of(runId).uploadId,
          parts: [{ part_number: 1, etag: of(runId).etag }],
        },
      }),
      appends: true,
    },
    [`POST ${prefix}/mpu/abort/*path`]: {
      scope: 'scoped',
      unknown,
      prepare: prepared({ open: true, sendPart: false }),
      request: (runId) => ({
        method: 'POST',
        path: `${prefix}/mpu/abort/${folder(runId)}`,
        body: { path: 'large.bin', upload_id: of(runId).uploadId },
      }),
      appends: false,
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
  'GET /get-artifact': {
    scope: 'scoped',
    prepare: readRun,
    request: (runId) => ({ method: 'GET', path: `/get-artifact?run_id=${runId}&path=${READ_ARTIFACT_PATH}` }),
    appends: false,
  },
  'GET /model-versions/get-artifact': {
    scope: 'scoped',
    unknown: unknownModel,
    prepare: async ({ read, workspace }) => read[workspace].modelName,
    request: (name) => ({
      method: 'GET',
      path: `/model-versions/get-artifact?name=${encodeURIComponent(name)}&version=1&path=${READ_ARTIFACT_PATH.split('/').pop()}`,
    }),
    appends: false,
  },
  ...mlflowCases('/api/2.0/mlflow'),
  ...mlflowCases('/ajax-api/2.0/mlflow'),
  ...artifactCases('/api/2.0/mlflow-artifacts'),
  ...artifactCases('/ajax-api/2.0/mlflow-artifacts'),
  ...multipartCases('/api/2.0/mlflow-artifacts'),
  ...multipartCases('/ajax-api/2.0/mlflow-artifacts'),
};
