import { ID_PATTERN } from '../../../libs/events/src/event-schemas';
import { OPTIONAL_BODIES, REQUEST_SCHEMAS, type RequestSchemaName } from './ingest.schemas';
import {
  ACCESS_REFUSALS,
  errorResponse,
  SECURITY_SCHEMES,
  TOKEN_SCHEMAS,
  tokenPaths,
} from './access/tokens.openapi';
import { REGISTRY_SCHEMAS, registryPaths } from './registry/registry.openapi';

/** The refusals a route can give; each names the offending field in `field`. Nothing is appended on any of them. */
const REFUSALS = {
  '400': errorResponse('The request is malformed or a field is invalid (`field` names it).'),
  '404': errorResponse('The run or experiment (or the artifact) does not exist.'),
  '409': errorResponse(
    'The object is in a state that refuses this (an ended run), or the eventId was used by another request.',
  ),
  '413': errorResponse('The declared or sent body is over the configured cap.'),
  '415': errorResponse(
    'Content-Type is not application/json (required whenever a body is allowed, even an optional one), ' +
      'or an unknown Content-Encoding or a charset other than utf-8.',
  ),
  '503': errorResponse('The log is saturated or unavailable; retry with the same eventId.'),
} as const;

type Refusal = keyof typeof REFUSALS;

const refusals = (...statuses: Refusal[]) =>
  Object.fromEntries(statuses.map((status) => [status, REFUSALS[status]]));

type PathId = 'runId' | 'experimentId';

const idParameter = (name: PathId) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: ID_PATTERN },
});

/** The artifact's path inside its run: the rest of the URL, checked before a byte of the body is read. */
const artifactPathParameter = {
  name: 'path',
  in: 'path',
  required: true,
  description:
    'Relative, `/`-separated, at most 1024 bytes (255 per segment). Refused with 400 naming `path`: `.` and `..` ' +
    'segments, a leading `/` or drive letter, backslashes, NUL and control characters, empty segments, and ' +
    "percent-encoded '.', '/', '\\\\', NUL or '%'.",
  schema: { type: 'string', minLength: 1, maxLength: 1024 },
};

interface JsonOperationOptions {
  created?: boolean;
  /** The id in the path: a run's (default), an experiment's, or none. */
  pathId?: PathId | null;
  method?: 'post' | 'delete';
  operationId?: string;
}

/** A command: a JSON body checked by its schema, appended to the log when accepted. */
function jsonOperation(summary: string, schema: RequestSchemaName, options: JsonOperationOptions = {}) {
  const { created = false, pathId = 'runId', method = 'post' } = options;
  return {
    [method]: {
      summary,
      operationId: options.operationId ?? schema.charAt(0).toLowerCase() + schema.slice(1),
      parameters: pathId ? [idParameter(pathId)] : [],
      requestBody: {
        required: !OPTIONAL_BODIES.has(schema),
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
      },
      responses: {
        [created ? '201' : '200']: {
          description: 'Appended to the log (or already there, the same request again: `appended: false`).',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Acknowledgement' } } },
        },
        ...refusals('400', '404', '409', '413', '415', '503'),
        ...ACCESS_REFUSALS,
      },
    },
  };
}

const artifactRef = {
  type: 'object',
  properties: {
    path: { type: 'string' },
    size: { type: 'integer' },
    digest: { type: 'string', description: 'sha256 of the content, hex.' },
    contentType: { type: 'string' },
  },
} as const;

/** Uploads and downloads of a run's files: raw bytes, not JSON. */
function artifactPaths() {
  return {
    '/api/v1/runs/{runId}/artifacts': {
      get: {
        summary: "List the run's artifacts (latest upload per path), sorted by path",
        operationId: 'listArtifacts',
        parameters: [
          idParameter('runId'),
          { name: 'prefix', in: 'query', required: false, schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'The artifacts under the prefix.',
            content: { 'application/json': { schema: { type: 'array', items: artifactRef } } },
          },
          ...refusals('400', '404'),
          ...ACCESS_REFUSALS,
        },
      },
    },
    '/api/v1/runs/{runId}/artifacts/{path}': {
      put: {
        summary:
          'Upload a file under a path of the run (streamed to the content-addressed store, then recorded)',
        operationId: 'uploadArtifact',
        parameters: [idParameter('runId'), artifactPathParameter],
        requestBody: {
          required: false,
          description:
            'The file itself; its Content-Type is recorded (application/octet-stream when absent).',
          content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
        },
        responses: {
          '201': {
            description: 'Stored and recorded.',
            content: {
              'application/json': {
                schema: {
                  ...artifactRef,
                  properties: {
                    ...artifactRef.properties,
                    deduplicated: { type: 'boolean' },
                    eventIds: { type: 'array', items: { type: 'string' } },
                    appended: { type: 'boolean' },
                  },
                },
              },
            },
          },
          ...refusals('400', '404', '409', '413', '503'),
          ...ACCESS_REFUSALS,
        },
      },
      get: {
        summary: 'Download a file of the run (always as an attachment)',
        operationId: 'downloadArtifact',
        parameters: [idParameter('runId'), artifactPathParameter],
        responses: {
          '200': {
            description: 'The bytes, with the recorded Content-Type and an ETag of their digest.',
            content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
          },
          ...refusals('400', '404'),
          ...ACCESS_REFUSALS,
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
        'reads go through GraphQL at /graphql. Authenticate with `Authorization: Bearer <token>`: create a token ' +
        'with `curl -X POST $RUNLOG_URL/api/v1/tokens -H "authorization: Bearer $ADMIN_TOKEN" -H "content-type: ' +
        'application/json" -d \'{"roles":["writer"],"workspace":"default","principal":"alice"}\'` (or `runlog ' +
        'token issue`). The actor of every event is the authenticated principal. `x-runlog-workspace` says where ' +
        'something new is created; `x-runlog-actor` is recorded as onBehalfOf only for tokens issued with ' +
        'actOnBehalf.',
    },
    security: [{ bearerToken: [] }, { basicToken: [] }],
    paths: {
      '/api/v1/openapi.json': {
        get: {
          summary: 'This document',
          operationId: 'openApiDocument',
          security: [{}, { bearerToken: [] }],
          responses: {
            '200': { description: 'The OpenAPI document (public unless RUNLOG_AUTH_DOCUMENTS=protected).' },
          },
        },
      },
      '/api/v1/experiments': jsonOperation('Create an experiment', 'CreateExperiment', {
        created: true,
        pathId: null,
      }),
      '/api/v1/experiments/{experimentId}/rename': jsonOperation('Rename an experiment', 'RenameExperiment', {
        pathId: 'experimentId',
      }),
      '/api/v1/experiments/{experimentId}/archive': jsonOperation(
        'Archive an experiment: no new runs',
        'Bare',
        {
          pathId: 'experimentId',
          operationId: 'archiveExperiment',
        },
      ),
      '/api/v1/experiments/{experimentId}/retention': jsonOperation(
        'Set how long the raw metric points of an experiment are kept',
        'SetRetention',
        { pathId: 'experimentId', operationId: 'setExperimentRetention' },
      ),
      '/api/v1/experiments/{experimentId}/tags': jsonOperation('Set tags of an experiment', 'SetTags', {
        pathId: 'experimentId',
        operationId: 'setExperimentTags',
      }),
      '/api/v1/experiments/{experimentId}/tags/delete': jsonOperation(
        'Delete tags of an experiment (keys it does not have are skipped)',
        'DeleteTags',
        { pathId: 'experimentId', operationId: 'deleteExperimentTags' },
      ),
      '/api/v1/experiments/{experimentId}/restore': jsonOperation('Restore an archived experiment', 'Bare', {
        pathId: 'experimentId',
        operationId: 'restoreExperiment',
      }),
      '/api/v1/sweeps': jsonOperation('Create a sweep with its search space', 'CreateSweep', {
        created: true,
        pathId: null,
      }),
      '/api/v1/runs': jsonOperation(
        'Create a run (running, or queued), maybe in a sweep or under a parent',
        'CreateRun',
        { created: true, pathId: null },
      ),
      '/api/v1/runs/{runId}': jsonOperation('Delete a run (soft: restore brings it back)', 'Bare', {
        method: 'delete',
        operationId: 'deleteRun',
      }),
      '/api/v1/runs/{runId}/restore': jsonOperation('Restore a deleted run', 'Bare', {
        operationId: 'restoreRun',
      }),
      '/api/v1/runs/{runId}/start': jsonOperation('Start a queued run', 'StartRun'),
      '/api/v1/runs/{runId}/rename': jsonOperation('Rename a run', 'RenameRun'),
      '/api/v1/runs/{runId}/note': jsonOperation('Set the run note (empty clears it)', 'SetNote'),
      '/api/v1/runs/{runId}/inputs': jsonOperation('Log datasets the run reads (lineage)', 'LogInputs'),
      '/api/v1/runs/{runId}/heartbeat': jsonOperation('The client is alive (resumes a stale run)', 'Bare', {
        operationId: 'heartbeat',
      }),
      '/api/v1/runs/{runId}/params': jsonOperation('Log params (once per key)', 'LogParams'),
      '/api/v1/runs/{runId}/tags': jsonOperation('Set tags', 'SetTags'),
      '/api/v1/runs/{runId}/tags/delete': jsonOperation('Delete tags', 'DeleteTags'),
      '/api/v1/runs/{runId}/artifact-records': jsonOperation(
        'Record content already in the artifact store under a path (what an upload forwards to the run owner)',
        'RegisterArtifact',
        { created: true },
      ),
      ...artifactPaths(),
      '/api/v1/runs/{runId}/media': jsonOperation(
        'Name an artifact of the run as a media item (image, histogram or table) of a key at a step',
        'LogMedia',
      ),
      '/api/v1/runs/{runId}/metrics': jsonOperation('Log a columnar batch of metric points', 'LogMetrics'),
      '/api/v1/runs/{runId}/finish': jsonOperation('Mark the run finished', 'FinishRun'),
      '/api/v1/runs/{runId}/fail': jsonOperation('Mark the run failed, with a reason', 'FailRun'),
      '/api/v1/runs/{runId}/kill': jsonOperation('Mark the run killed', 'KillRun'),
      ...tokenPaths(),
      ...registryPaths(),
    },
    components: {
      securitySchemes: SECURITY_SCHEMES,
      schemas: {
        ...REQUEST_SCHEMAS,
        ...TOKEN_SCHEMAS,
        ...REGISTRY_SCHEMAS,
        Acknowledgement: {
          type: 'object',
          properties: {
            eventIds: { type: 'array', items: { type: 'string' } },
            appended: { type: 'boolean' },
            runId: { type: 'string' },
            experimentId: { type: 'string' },
            points: { type: 'integer' },
            consistencyToken: {
              type: 'string',
              description:
                'Where the writes landed in the log (also in the x-runlog-consistency-token header): send it back in ' +
                'that header on a GraphQL request to read them once projected (x-runlog-consistency-timeout-ms bounds ' +
                'the wait, 10 s by default; 504 CONSISTENCY_TIMEOUT past it).',
            },
          },
        },
        Error: {
          type: 'object',
          required: ['error', 'message'],
          properties: {
            error: {
              type: 'string',
              description:
                'Stable code, e.g. validation_failed, malformed_json, not_found, illegal_transition, ' +
                'idempotency_conflict, payload_too_large.',
            },
            message: { type: 'string' },
            field: {
              type: 'string',
              description: 'The offending field (`body`, a header such as `content-type`, a path parameter).',
            },
          },
        },
      },
    },
  };
}
