/**
 * JSON schemas of the native ingest API's request bodies. They are compiled once (ajv) for validation and served
 * as the OpenAPI document's components, so the docs and the checks cannot drift apart.
 */
const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
const KEY_PATTERN = '^[A-Za-z0-9_\\-./: ]{1,250}$';
// Path-like keys (`train/loss`, `system/gpu0/util`); no empty, `.` or `..` segment, so a key is never a path trick.
const METRIC_KEY_PATTERN = '^(?!.*(?:^|/)\\.{1,2}(?:/|$))[A-Za-z0-9_\\-.:]+(?:/[A-Za-z0-9_\\-.:]+)*$';

const eventId = {
  type: 'string',
  format: 'uuid',
  description: 'Client-made UUID (v7 preferred). A retry with the same id is appended once.',
} as const;
const occurredAt = {
  type: 'string',
  format: 'date-time',
  description: 'When it happened, on the client.',
} as const;
const id = (description: string) => ({ type: 'string', pattern: ID_PATTERN, description }) as const;
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;

export const createExperimentSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    eventId,
    occurredAt,
    experimentId: id('Defaults to the eventId.'),
    name: text(256),
  },
} as const;

export const createRunSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['experimentId'],
  properties: {
    eventId,
    occurredAt,
    runId: id('Defaults to the eventId, so a retried create makes one run.'),
    experimentId: id('An existing experiment.'),
    name: { type: 'string', maxLength: 256 },
  },
} as const;

export const logParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['params'],
  properties: {
    eventId,
    occurredAt,
    params: {
      type: 'object',
      maxProperties: 1000,
      propertyNames: { pattern: KEY_PATTERN },
      additionalProperties: { type: ['string', 'number', 'boolean'], maxLength: 6000 },
      description: 'Logged once per key; values are stored as strings.',
    },
  },
} as const;

export const setTagsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['tags'],
  properties: {
    eventId,
    occurredAt,
    tags: {
      type: 'object',
      maxProperties: 1000,
      propertyNames: { pattern: KEY_PATTERN },
      additionalProperties: { type: 'string', maxLength: 8000 },
    },
  },
} as const;

export const deleteTagsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['keys'],
  properties: {
    eventId,
    occurredAt,
    keys: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', pattern: KEY_PATTERN } },
  },
} as const;

export const logMetricsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['metrics'],
  properties: {
    eventId,
    occurredAt,
    metrics: {
      type: 'array',
      minItems: 1,
      maxItems: 10000,
      description:
        'Columnar: per key, parallel arrays of steps, values and (optional) epoch-millisecond timestamps.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'steps', 'values'],
        properties: {
          key: { type: 'string', maxLength: 250, pattern: METRIC_KEY_PATTERN },
          steps: {
            type: 'array',
            items: { type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 },
          },
          values: { type: 'array', items: { type: 'number' } },
          timestamps: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 253402300799999 } },
        },
      },
    },
  },
} as const;

export const finishRunSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { eventId, occurredAt },
} as const;

export const failRunSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { eventId, occurredAt, reason: text(8000) },
} as const;

export const killRunSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { eventId, occurredAt, reason: text(8000) },
} as const;

/** Content already in the artifact store, recorded under a path of a run (what an upload does after storing). */
export const registerArtifactSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'digest', 'size', 'contentType'],
  properties: {
    path: { type: 'string', minLength: 1, maxLength: 1024, description: 'Checked like an upload URL path.' },
    digest: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'sha256 of content in the store.' },
    size: { type: 'integer', minimum: 0 },
    contentType: text(256),
  },
} as const;

export const REQUEST_SCHEMAS = {
  CreateExperiment: createExperimentSchema,
  CreateRun: createRunSchema,
  LogParams: logParamsSchema,
  SetTags: setTagsSchema,
  DeleteTags: deleteTagsSchema,
  LogMetrics: logMetricsSchema,
  FinishRun: finishRunSchema,
  FailRun: failRunSchema,
  KillRun: killRunSchema,
  RegisterArtifact: registerArtifactSchema,
} as const;

export type RequestSchemaName = keyof typeof REQUEST_SCHEMAS;

interface Envelope {
  eventId?: string;
  occurredAt?: string;
}
export interface CreateExperimentBody extends Envelope {
  experimentId?: string;
  name: string;
}
export interface CreateRunBody extends Envelope {
  runId?: string;
  experimentId: string;
  name?: string;
}
export interface LogParamsBody extends Envelope {
  params: Record<string, string | number | boolean>;
}
export interface SetTagsBody extends Envelope {
  tags: Record<string, string>;
}
export interface DeleteTagsBody extends Envelope {
  keys: string[];
}
export interface LogMetricsBody extends Envelope {
  metrics: { key: string; steps: number[]; values: number[]; timestamps?: number[] }[];
}
export type FinishRunBody = Envelope;
export interface FailRunBody extends Envelope {
  reason: string;
}
export interface KillRunBody extends Envelope {
  reason?: string;
}

export interface RegisterArtifactBody {
  path: string;
  digest: string;
  size: number;
  contentType: string;
}

export interface RequestBodies {
  CreateExperiment: CreateExperimentBody;
  CreateRun: CreateRunBody;
  LogParams: LogParamsBody;
  SetTags: SetTagsBody;
  DeleteTags: DeleteTagsBody;
  LogMetrics: LogMetricsBody;
  FinishRun: FinishRunBody;
  FailRun: FailRunBody;
  KillRun: KillRunBody;
  RegisterArtifact: RegisterArtifactBody;
}
