/**
 * JSON schemas of the native ingest API's request bodies. They are compiled once (ajv) for validation and served
 * as the OpenAPI document's components, so the docs and the checks cannot drift apart.
 */
import {
  experimentNameSchema,
  ID_PATTERN,
  KEY_PATTERN,
  METRIC_KEY_PATTERN,
  metricStepSchema,
  metricTimestampSchema,
  metricValueSchema,
  metricWorkerSchema,
  rawPointsMaxAgeDaysSchema,
  runContextSchema,
  runInputSchema,
  runNameSchema,
  searchSpaceSchema,
} from '../../../libs/events/src/event-schemas';
import { MAX_STORABLE_TIME, MIN_STORABLE_TIME } from '../../../libs/events/src/storable';
import type {
  MediaKind,
  MetricValue,
  RunContext,
  RunInput,
  SweepMethod,
} from '../../../libs/events/src/run.events';

const eventId = {
  type: 'string',
  format: 'uuid',
  description:
    'Client-made UUID (v7 preferred). A retry with the same id is appended once. Normalized before use (a ' +
    '`urn:uuid:` prefix dropped, lower case), so every spelling of one UUID is one id.',
} as const;
const occurredAt = {
  type: 'string',
  format: 'date-time',
  description: `When it happened, on the client: RFC 3339, from ${MIN_STORABLE_TIME} to ${MAX_STORABLE_TIME}; no leap second.`,
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
    name: {
      ...experimentNameSchema,
      description: 'Unique in the workspace: a name another experiment holds is 409 name_taken.',
    },
    getOrCreate: {
      type: 'boolean',
      description:
        'When the workspace has an experiment of this name, answer it (`created: false`) instead of 409.',
    },
  },
} as const;

export const renameExperimentSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { eventId, occurredAt, name: experimentNameSchema },
} as const;

export const setRetentionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['rawPointsMaxAgeDays'],
  properties: {
    eventId,
    occurredAt,
    rawPointsMaxAgeDays: {
      anyOf: [rawPointsMaxAgeDaysSchema, { type: 'null' }],
      description:
        'Raw metric points older than this many days (by their timestamp) leave the raw table; the rollups stay, ' +
        'so charts still draw, only zooming below the finest rollup (10 steps) is lost. null keeps every point.',
    },
  },
} as const;

/** Archive and restore of experiments, start-less lifecycle steps of runs (delete, restore, heartbeat). */
export const bareCommandSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { eventId, occurredAt },
} as const;

export const createSweepSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['experimentId', 'searchSpace'],
  properties: {
    eventId,
    occurredAt,
    sweepId: id('Defaults to the eventId.'),
    experimentId: id('An existing, active experiment.'),
    name: runNameSchema,
    method: { enum: ['grid', 'random', 'bayes', 'manual'], description: 'Defaults to manual.' },
    searchSpace: searchSpaceSchema,
    objective: {
      type: 'object',
      additionalProperties: false,
      required: ['metric', 'goal'],
      properties: {
        metric: { type: 'string', maxLength: 250, pattern: METRIC_KEY_PATTERN },
        goal: { enum: ['minimize', 'maximize'] },
      },
    },
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
    experimentId: id('An existing, active experiment.'),
    name: runNameSchema,
    queued: {
      type: 'boolean',
      description: 'Made by a scheduler and started later (POST …/start); default false.',
    },
    sweepId: id('A sweep of the same experiment.'),
    parentRunId: id('An existing run: this one is its child.'),
    context: { ...runContextSchema, description: 'Code, environment, hardware, seeds, user and host.' },
  },
} as const;

export const startRunSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { eventId, occurredAt, context: runContextSchema },
} as const;

export const renameRunSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { eventId, occurredAt, name: runNameSchema },
} as const;

export const setNoteSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['note'],
  properties: {
    eventId,
    occurredAt,
    note: { type: 'string', maxLength: 65536, description: 'Free text (markdown); an empty note clears it.' },
  },
} as const;

export const logInputsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['inputs'],
  properties: {
    eventId,
    occurredAt,
    inputs: { type: 'array', minItems: 1, maxItems: 1000, items: runInputSchema },
  },
} as const;

export const logMediaSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'step', 'kind', 'path'],
  properties: {
    eventId,
    key: {
      type: 'string',
      maxLength: 250,
      pattern: METRIC_KEY_PATTERN,
      description: 'Named like a metric key.',
    },
    step: metricStepSchema,
    kind: { enum: ['image', 'histogram', 'table'] },
    path: {
      type: 'string',
      minLength: 1,
      maxLength: 1024,
      description: 'An artifact the run already has: the media item is its content.',
    },
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
    worker: metricWorkerSchema,
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
          steps: { type: 'array', items: metricStepSchema },
          values: {
            type: 'array',
            items: metricValueSchema,
            description: 'Numbers, or "NaN", "Infinity" and "-Infinity", which are kept as such.',
          },
          timestamps: { type: 'array', items: metricTimestampSchema },
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
  properties: { eventId, occurredAt, reason: text(8000), stackTrace: { type: 'string', maxLength: 65536 } },
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
    size: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    contentType: text(256),
  },
} as const;

export const REQUEST_SCHEMAS = {
  CreateExperiment: createExperimentSchema,
  RenameExperiment: renameExperimentSchema,
  SetRetention: setRetentionSchema,
  Bare: bareCommandSchema,
  CreateSweep: createSweepSchema,
  CreateRun: createRunSchema,
  StartRun: startRunSchema,
  RenameRun: renameRunSchema,
  SetNote: setNoteSchema,
  LogInputs: logInputsSchema,
  LogParams: logParamsSchema,
  SetTags: setTagsSchema,
  DeleteTags: deleteTagsSchema,
  LogMetrics: logMetricsSchema,
  FinishRun: finishRunSchema,
  FailRun: failRunSchema,
  KillRun: killRunSchema,
  RegisterArtifact: registerArtifactSchema,
  LogMedia: logMediaSchema,
} as const;

export type RequestSchemaName = keyof typeof REQUEST_SCHEMAS;

/** Bodies a client may leave out: every field of them is optional. */
export const OPTIONAL_BODIES: ReadonlySet<RequestSchemaName> = new Set([
  'FinishRun',
  'KillRun',
  'Bare',
  'StartRun',
]);

interface Envelope {
  eventId?: string;
  occurredAt?: string;
}
export interface CreateExperimentBody extends Envelope {
  experimentId?: string;
  name: string;
  getOrCreate?: boolean;
}
export interface RenameBody extends Envelope {
  name: string;
}
export interface SetRetentionBody extends Envelope {
  rawPointsMaxAgeDays: number | null;
}
export type BareBody = Envelope;
export interface CreateSweepBody extends Envelope {
  sweepId?: string;
  experimentId: string;
  name?: string;
  method?: SweepMethod;
  searchSpace: Record<string, unknown>;
  objective?: { metric: string; goal: 'minimize' | 'maximize' };
}
export interface CreateRunBody extends Envelope {
  runId?: string;
  experimentId: string;
  name?: string;
  queued?: boolean;
  sweepId?: string;
  parentRunId?: string;
  context?: RunContext;
}
export interface StartRunBody extends Envelope {
  context?: RunContext;
}
export interface SetNoteBody extends Envelope {
  note: string;
}
export interface LogInputsBody extends Envelope {
  inputs: (Pick<RunInput, 'name' | 'digest'> & Partial<RunInput>)[];
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
  worker?: string;
  metrics: { key: string; steps: number[]; values: MetricValue[]; timestamps?: number[] }[];
}
export type FinishRunBody = Envelope;
export interface FailRunBody extends Envelope {
  reason: string;
  stackTrace?: string;
}
export interface KillRunBody extends Envelope {
  reason?: string;
}

export interface LogMediaBody {
  eventId?: string;
  key: string;
  step: number;
  kind: MediaKind;
  path: string;
}

export interface RegisterArtifactBody {
  path: string;
  digest: string;
  size: number;
  contentType: string;
}

export interface RequestBodies {
  CreateExperiment: CreateExperimentBody;
  RenameExperiment: RenameBody;
  SetRetention: SetRetentionBody;
  Bare: BareBody;
  CreateSweep: CreateSweepBody;
  CreateRun: CreateRunBody;
  StartRun: StartRunBody;
  RenameRun: RenameBody;
  SetNote: SetNoteBody;
  LogInputs: LogInputsBody;
  LogParams: LogParamsBody;
  SetTags: SetTagsBody;
  DeleteTags: DeleteTagsBody;
  LogMetrics: LogMetricsBody;
  FinishRun: FinishRunBody;
  FailRun: FailRunBody;
  KillRun: KillRunBody;
  RegisterArtifact: RegisterArtifactBody;
  LogMedia: LogMediaBody;
}
