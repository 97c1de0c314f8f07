import { OPTIONAL_BODIES, REQUEST_SCHEMAS, type RequestSchemaName } from './ingest.schemas';

const errorResponse = {
  description: 'The request was refused; `field` names the offending field. Nothing was appended.',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

interface OperationOptions {
  created?: boolean;
  /** The id in the path: a run's (default), an experiment's, or none. */
  pathId?: 'runId' | 'experimentId' | null;
  method?: 'post' | 'delete';
  operationId?: string;
}

function operation(summary: string, schema: RequestSchemaName, options: OperationOptions = {}) {
  const { created = false, pathId = 'runId', method = 'post' } = options;
  return {
    [method]: {
      summary,
      operationId: options.operationId ?? schema.charAt(0).toLowerCase() + schema.slice(1),
      parameters: pathId
        ? [
            {
              name: pathId,
              in: 'path',
              required: true,
              schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' },
            },
          ]
        : [],
      requestBody: {
        required: !OPTIONAL_BODIES.has(schema),
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
      },
      responses: {
        [created ? '201' : '200']: {
          description: 'Appended to the log (or already there: `appended: false`).',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Acknowledgement' } } },
        },
        '400': errorResponse,
        '404': errorResponse,
        '409': errorResponse,
        '413': errorResponse,
        '503': {
          ...errorResponse,
          description: 'The log is saturated or unavailable; retry with the same eventId.',
        },
      },
    },
  };
}

/** The OpenAPI 3.1 document of the native ingest API, served at /api/v1/openapi.json. */
export function buildOpenApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Runlog ingest API',
      version: '1',
      description:
        'Batch-first ingest of experiment and run events. Every accepted request is appended to the event log; ' +
        'reads go through GraphQL at /graphql. Send `x-runlog-actor` and `x-runlog-workspace` headers to stamp events.',
    },
    paths: {
      '/api/v1/experiments': operation('Create an experiment', 'CreateExperiment', {
        created: true,
        pathId: null,
      }),
      '/api/v1/experiments/{experimentId}/rename': operation('Rename an experiment', 'RenameExperiment', {
        pathId: 'experimentId',
      }),
      '/api/v1/experiments/{experimentId}/archive': operation('Archive an experiment: no new runs', 'Bare', {
        pathId: 'experimentId',
        operationId: 'archiveExperiment',
      }),
      '/api/v1/experiments/{experimentId}/restore': operation('Restore an archived experiment', 'Bare', {
        pathId: 'experimentId',
        operationId: 'restoreExperiment',
      }),
      '/api/v1/sweeps': operation('Create a sweep with its search space', 'CreateSweep', {
        created: true,
        pathId: null,
      }),
      '/api/v1/runs': operation(
        'Create a run (running, or queued), maybe in a sweep or under a parent',
        'CreateRun',
        {
          created: true,
          pathId: null,
        },
      ),
      '/api/v1/runs/{runId}': operation('Delete a run (soft: restore brings it back)', 'Bare', {
        method: 'delete',
        operationId: 'deleteRun',
      }),
      '/api/v1/runs/{runId}/restore': operation('Restore a deleted run', 'Bare', {
        operationId: 'restoreRun',
      }),
      '/api/v1/runs/{runId}/start': operation('Start a queued run', 'StartRun'),
      '/api/v1/runs/{runId}/rename': operation('Rename a run', 'RenameRun'),
      '/api/v1/runs/{runId}/note': operation('Set the run note (empty clears it)', 'SetNote'),
      '/api/v1/runs/{runId}/inputs': operation('Log datasets the run reads (lineage)', 'LogInputs'),
      '/api/v1/runs/{runId}/heartbeat': operation('The client is alive (resumes a stale run)', 'Bare', {
        operationId: 'heartbeat',
      }),
      '/api/v1/runs/{runId}/params': operation('Log params (once per key)', 'LogParams'),
      '/api/v1/runs/{runId}/tags': operation('Set tags', 'SetTags'),
      '/api/v1/runs/{runId}/tags/delete': operation('Delete tags', 'DeleteTags'),
      '/api/v1/runs/{runId}/artifact-records': operation(
        'Record content already in the artifact store under a path (what an upload forwards to the run owner)',
        'RegisterArtifact',
        { created: true },
      ),
      '/api/v1/runs/{runId}/metrics': operation('Log a columnar batch of metric points', 'LogMetrics'),
      '/api/v1/runs/{runId}/finish': operation('Mark the run finished', 'FinishRun'),
      '/api/v1/runs/{runId}/fail': operation('Mark the run failed, with a reason', 'FailRun'),
      '/api/v1/runs/{runId}/kill': operation('Mark the run killed', 'KillRun'),
    },
    components: {
      schemas: {
        ...REQUEST_SCHEMAS,
        Acknowledgement: {
          type: 'object',
          properties: {
            eventIds: { type: 'array', items: { type: 'string' } },
            appended: { type: 'boolean' },
            runId: { type: 'string' },
            experimentId: { type: 'string' },
            points: { type: 'integer' },
          },
        },
        Error: {
          type: 'object',
          required: ['error', 'message'],
          properties: {
            error: {
              type: 'string',
              description: 'Stable code, e.g. validation_failed, not_found, param_conflict.',
            },
            message: { type: 'string' },
            field: { type: 'string', description: 'The offending field, when there is one.' },
          },
        },
      },
    },
  };
}
