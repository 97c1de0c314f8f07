import Ajv, { type ValidateFunction } from 'ajv';
import type { RunlogEvent, SupersededEvent } from './run.events';
import { MAX_STORABLE_INTEGER, MAX_STORABLE_MILLIS, MAX_STORABLE_TIME } from './storable';

/**
 * The JSON schema of every event payload, per `type@v`, including superseded versions still in the log. The
 * projector checks each record against its version's schema after upcasting (a record that fails is dead-lettered,
 * never half-projected), and every decider spec checks what it decides, so a decider cannot emit a shape the schema
 * does not describe. Request schemas (services/ingest) reuse the fragments below, so the two cannot drift apart.
 */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
export const KEY_PATTERN = '^[A-Za-z0-9_\\-./: ]{1,250}$';
/**
 * Path-like keys (`train/loss`, `system/gpu0/util`); no empty, `.` or `..` segment, so a key is never a path trick.
 * Spaces are in, as in MLflow's key rule (`val loss`), so every key its clients and TensorBoard's tags use is stored.
 */
export const METRIC_KEY_PATTERN =
  '^(?!.*(?:^|/)\\.{1,2}(?:/|$))[A-Za-z0-9_\\-.: ]+(?:/[A-Za-z0-9_\\-.: ]+)*$';
/** Names people read: no control characters, no leading or trailing space. */
export const NAME_PATTERN = '^(?![\\s])(?!.*[\\s]$)[^\\u0000-\\u001f\\u007f]+$';
export const SHA256_PATTERN = '^[0-9a-f]{64}$';
export const NON_FINITE_VALUES = ['NaN', 'Infinity', '-Infinity'] as const;

const id = { type: 'string', pattern: ID_PATTERN } as const;
/**
 * Epoch milliseconds as events written since v1 may hold them (up to 9999-12-31). What a request may send is
 * narrower (metricTimestampSchema): the projector dead-letters a stored time the store cannot hold (storable.ts).
 */
const millis = { type: 'integer', minimum: 0, maximum: 253402300799999 } as const;
const storedName = { type: 'string', maxLength: 256 } as const;
/** Integers ClickHouse's 64-bit columns take and JSON carries exactly. */
const count = { type: 'integer', minimum: 0, maximum: MAX_STORABLE_INTEGER } as const;
const nullable = <T extends object>(schema: T) => ({ anyOf: [schema, { type: 'null' }] }) as const;
const text = (maxLength: number) => ({ type: 'string', maxLength }) as const;
const object = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)) => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});
const empty = object({});

/** Up to 100 years; null (no limit) is the default. */
export const MAX_RETENTION_DAYS = 36_500;
export const rawPointsMaxAgeDaysSchema = {
  type: 'integer',
  minimum: 1,
  maximum: MAX_RETENTION_DAYS,
} as const;

export const experimentNameSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 256,
  pattern: NAME_PATTERN,
} as const;
export const runNameSchema = {
  type: 'string',
  maxLength: 256,
  pattern: '^[^\\u0000-\\u001f\\u007f]*$',
} as const;

/** A point's time as a request may give it: from the epoch to the last millisecond every ClickHouse version holds. */
export const metricTimestampSchema = {
  type: 'integer',
  minimum: 0,
  maximum: MAX_STORABLE_MILLIS,
  description: `Epoch milliseconds, 0 … ${MAX_STORABLE_MILLIS} (${MAX_STORABLE_TIME}).`,
} as const;

/** A step: an Int64 column, and what JSON carries exactly. */
export const metricStepSchema = {
  type: 'integer',
  minimum: -MAX_STORABLE_INTEGER,
  maximum: MAX_STORABLE_INTEGER,
} as const;

export const metricValueSchema = { anyOf: [{ type: 'number' }, { enum: NON_FINITE_VALUES }] } as const;

/**
 * Which process of a distributed job logged a batch (a rank, a node): a label, never a path or a key. Absent means
 * the default worker (stored as ''), so the empty string is not a label a client may send.
 */
export const METRIC_WORKER_PATTERN = '^[A-Za-z0-9_.:-]{1,64}$';
export const metricWorkerSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: METRIC_WORKER_PATTERN,
  description:
    'The process of a distributed job that logged the batch (e.g. its rank): 1–64 of A–Z a–z 0–9 _ . : -.',
} as const;

/** The longest schema text an input keeps (MLflow's pandas and tensor schemas of wide tables fit). */
export const INPUT_SCHEMA_MAX = 65536;
export const INPUT_PROFILE_MAX = 16384;

export const runInputSchema = object(
  {
    name: { type: 'string', minLength: 1, maxLength: 256, pattern: NAME_PATTERN },
    digest: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9:_-]+$' },
    source: nullable(text(2048)),
    split: nullable(text(64)),
    rows: nullable(count),
    schemaDigest: nullable({ type: 'string', maxLength: 128, pattern: '^[A-Za-z0-9:_-]+$' }),
    schema: nullable(text(INPUT_SCHEMA_MAX)),
    profile: nullable(text(INPUT_PROFILE_MAX)),
    tags: {
      type: 'object',
      maxProperties: 100,
      propertyNames: { minLength: 1, maxLength: 255 },
      additionalProperties: text(500),
    },
  },
  ['name', 'digest'],
);

const short = text(256);
export const runContextSchema = object(
  {
    code: object(
      {
        commit: { type: 'string', pattern: '^[0-9a-f]{7,64}$' },
        branch: short,
        remote: text(1024),
        dirty: { type: 'boolean' },
        diffDigest: { type: 'string', pattern: SHA256_PATTERN },
        entryPoint: text(1024),
      },
      [],
    ),
    environment: object(
      {
        runtime: short,
        runtimeVersion: short,
        platform: short,
        arch: short,
        lockfileDigest: { type: 'string', pattern: SHA256_PATTERN },
        containerImageDigest: short,
      },
      [],
    ),
    hardware: object(
      {
        cpuModel: short,
        cpuCount: { type: 'integer', minimum: 0 },
        memoryBytes: { type: 'integer', minimum: 0 },
        gpus: {
          type: 'array',
          maxItems: 64,
          items: object({ model: short, memoryBytes: { type: 'integer', minimum: 0 } }, ['model']),
        },
      },
      [],
    ),
    seeds: {
      type: 'object',
      maxProperties: 100,
      propertyNames: { pattern: KEY_PATTERN },
      additionalProperties: { type: ['number', 'string'], maxLength: 256 },
    },
    user: short,
    host: short,
  },
  [],
);

export const searchSpaceSchema = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1000,
  propertyNames: { pattern: KEY_PATTERN },
  description:
    'Per param, its domain as the scheduler takes it, e.g. {"values": [...]} or {"min": 0, "max": 1}.',
} as const;

const objectiveSchema = object({
  metric: { type: 'string', maxLength: 250, pattern: METRIC_KEY_PATTERN },
  goal: { enum: ['minimize', 'maximize'] },
});

const stringMap = (maxLength: number) => ({
  type: 'object',
  propertyNames: { pattern: KEY_PATTERN },
  additionalProperties: { type: 'string', maxLength },
});

/**
 * Model names are labels people read, carried in URL paths (so no `/`, and not `.` or `..`, which URLs resolve
 * away) and in a name-claim stream's id.
 */
export const modelNameSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 256,
  pattern: '^(?!\\.{1,2}$)(?![\\s])(?!.*[\\s]$)[^\\u0000-\\u001f\\u007f/]+$',
} as const;
/** Any name (champion, challenger); `latest` and `v<n>` are MLflow's own ways of naming a version, so not aliases. */
export const ALIAS_PATTERN = '^(?!latest$)(?!v[0-9]+$)[A-Za-z][A-Za-z0-9_.-]{0,63}$';
export const aliasSchema = { type: 'string', pattern: ALIAS_PATTERN } as const;
export const modelStageSchema = { enum: ['None', 'Staging', 'Production', 'Archived'] } as const;
/** Version numbers count from 1 per model. */
export const modelVersionSchema = { type: 'integer', minimum: 1, maximum: 1_000_000_000 } as const;
export const artifactPathSchema = { type: 'string', minLength: 1, maxLength: 1024 } as const;
export const approvalPolicySchema = object({
  stages: { type: 'array', maxItems: 2, uniqueItems: true, items: { enum: ['Staging', 'Production'] } },
  aliases: { type: 'array', maxItems: 100, uniqueItems: true, items: aliasSchema },
});
const uuid = {
  type: 'string',
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
} as const;
const principalName = text(256);
const usedApproval = object({
  approvalId: uuid,
  requestedBy: principalName,
  approvedBy: principalName,
  comment: text(8000),
});
const promotionTarget = {
  oneOf: [
    object({ kind: { const: 'stage' }, stage: modelStageSchema }),
    object({ kind: { const: 'alias' }, alias: aliasSchema }),
  ],
} as const;

type EventKey<E = RunlogEvent | SupersededEvent> = E extends {
  type: infer T extends string;
  v: infer V extends number;
}
  ? `${T}@${V}`
  : never;

export const EVENT_PAYLOAD_SCHEMAS: Record<EventKey, object> = {
  'experiment.created@1': object({ experimentId: id, name: { ...storedName, minLength: 1 } }),
  'experiment.renamed@1': object({ name: { ...storedName, minLength: 1 } }),
  'experiment.archived@1': empty,
  'experiment.restored@1': empty,
  'experiment.retention_set@1': object({ rawPointsMaxAgeDays: nullable(rawPointsMaxAgeDaysSchema) }),
  'experiment.tags_set@1': object({ tags: stringMap(8000) }),
  'experiment.tags_deleted@1': object({
    keys: { type: 'array', minItems: 1, items: { type: 'string', pattern: KEY_PATTERN } },
  }),
  'sweep.created@1': object({
    sweepId: id,
    experimentId: id,
    name: storedName,
    method: { enum: ['grid', 'random', 'bayes', 'manual'] },
    searchSpace: searchSpaceSchema,
    objective: nullable(objectiveSchema),
  }),
  'run.created@1': object({ runId: id, experimentId: id, name: storedName, startTime: millis }),
  'run.created@2': object({
    runId: id,
    experimentId: id,
    name: storedName,
    createdAt: millis,
    startTime: nullable(millis),
    sweepId: nullable(id),
    parentRunId: nullable(id),
  }),
  'run.started@1': object({ startTime: millis }),
  'run.renamed@1': object({ name: storedName }),
  'run.deleted@1': empty,
  'run.restored@1': empty,
  'run.note_set@1': object({ note: text(65536) }),
  'run.inputs_logged@1': object({
    inputs: { type: 'array', minItems: 1, maxItems: 1000, items: runInputSchema },
  }),
  'run.context_captured@1': object({ context: runContextSchema }),
  'run.marked_stale@1': object({ lastSeenAt: millis, timeoutMs: { type: 'integer', minimum: 1 } }),
  'run.resumed@1': empty,
  'run.params_logged@1': object({ params: stringMap(6000) }),
  'run.tags_set@1': object({ tags: stringMap(8000) }),
  'run.tags_deleted@1': object({
    keys: { type: 'array', minItems: 1, items: { type: 'string', pattern: KEY_PATTERN } },
  }),
  'run.artifact_logged@1': object({
    path: { type: 'string', minLength: 1, maxLength: 1024 },
    size: count,
    digest: { type: 'string', pattern: SHA256_PATTERN },
    // The upload's Content-Type header, as sent (Node caps headers at 16 KiB).
    contentType: { type: 'string', minLength: 1, maxLength: 16384 },
  }),
  'run.media_logged@1': object({
    key: { type: 'string', maxLength: 250, pattern: METRIC_KEY_PATTERN },
    step: metricStepSchema,
    kind: { enum: ['image', 'histogram', 'table'] },
    path: { type: 'string', minLength: 1, maxLength: 1024 },
    size: count,
    digest: { type: 'string', pattern: SHA256_PATTERN },
    contentType: { type: 'string', minLength: 1, maxLength: 16384 },
  }),
  'run.finished@1': object({ endTime: millis }),
  'run.failed@1': object({ endTime: millis, reason: text(8000) }),
  'run.failed@2': object({ endTime: millis, reason: text(8000), stackTrace: nullable(text(65536)) }),
  'run.killed@1': object({ endTime: millis, reason: nullable(text(8000)) }),
  // `worker` came later and is optional: batches logged before it (and without it) keep their payload, hence their hash.
  'metrics.logged@1': object(
    {
      runId: id,
      worker: metricWorkerSchema,
      series: {
        type: 'array',
        minItems: 1,
        items: object(
          {
            key: { type: 'string', maxLength: 250, pattern: METRIC_KEY_PATTERN },
            steps: { type: 'array', items: metricStepSchema },
            values: { type: 'array', items: metricValueSchema },
            timestamps: { type: 'array', items: millis },
          },
          ['key', 'steps', 'values'],
        ),
      },
    },
    ['runId', 'series'],
  ),
  'model.created@1': object({
    modelId: id,
    name: { ...storedName, minLength: 1 },
    description: text(65536),
    tags: stringMap(8000),
  }),
  'model.renamed@1': object({ name: { ...storedName, minLength: 1 }, previousName: storedName }),
  'model.described@1': object({ description: text(65536) }),
  'model.tags_set@1': object({ tags: stringMap(8000) }),
  'model.tags_deleted@1': object({
    keys: { type: 'array', minItems: 1, items: { type: 'string', pattern: KEY_PATTERN } },
  }),
  'model.deleted@1': object({ reason: text(8000) }),
  'model.policy_set@1': object({ approvalRequired: approvalPolicySchema }),
  'model.version_registered@1': object({
    version: modelVersionSchema,
    runId: id,
    artifactPath: artifactPathSchema,
    sha256: { type: 'string', pattern: SHA256_PATTERN },
    description: text(65536),
  }),
  'model.version_tags_set@1': object({ version: modelVersionSchema, tags: stringMap(8000) }),
  'model.version_tags_deleted@1': object({
    version: modelVersionSchema,
    keys: { type: 'array', minItems: 1, items: { type: 'string', pattern: KEY_PATTERN } },
  }),
  'model.version_described@1': object({ version: modelVersionSchema, description: text(65536) }),
  'model.version_deleted@1': object({
    version: modelVersionSchema,
    stage: modelStageSchema,
    reason: text(8000),
  }),
  'model.alias_set@1': object({
    alias: aliasSchema,
    version: modelVersionSchema,
    previousVersion: nullable(modelVersionSchema),
    reason: text(8000),
    approval: nullable(usedApproval),
  }),
  'model.alias_deleted@1': object({
    alias: aliasSchema,
    previousVersion: modelVersionSchema,
    reason: text(8000),
  }),
  'model.stage_transitioned@1': object({
    version: modelVersionSchema,
    stage: modelStageSchema,
    previousStage: modelStageSchema,
    displacedVersion: nullable(modelVersionSchema),
    reason: text(8000),
    approval: nullable(usedApproval),
  }),
  'model.approval_requested@1': object({
    approvalId: uuid,
    version: modelVersionSchema,
    target: promotionTarget,
    reason: text(8000),
    requestedBy: principalName,
  }),
  'model.approval_granted@1': object({ approvalId: uuid, approvedBy: principalName, comment: text(8000) }),
  'model.approval_rejected@1': object({ approvalId: uuid, rejectedBy: principalName, comment: text(8000) }),
  'name.claimed@1': object({
    kind: { enum: ['model', 'experiment'] },
    name: { ...storedName, minLength: 1 },
    holder: id,
  }),
  'name.released@1': object({ holder: id }),
};

export class EventSchemas {
  private readonly validators = new Map<string, ValidateFunction>();

  constructor() {
    const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
    for (const [key, schema] of Object.entries(EVENT_PAYLOAD_SCHEMAS))
      this.validators.set(key, ajv.compile(schema));
  }

  /** Why the payload does not fit its `type@v` schema (or no schema knows the pair), or null when it fits. */
  check(type: string, v: number, payload: unknown): string | null {
    const validate = this.validators.get(`${type}@${v}`);
    if (!validate) return `no schema for ${type}@${v}`;
    if (validate(payload)) return null;
    const error = validate.errors?.[0];
    return `${type}@${v} payload${error?.instancePath ?? ''} ${error?.message ?? 'is invalid'}`;
  }
}
