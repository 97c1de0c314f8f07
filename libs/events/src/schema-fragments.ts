import { MAX_STORABLE_INTEGER, MAX_STORABLE_MILLIS, MAX_STORABLE_TIME } from './storable';

/*
 * The building blocks of the event payload schemas (event-schemas.ts) and of ingest's request schemas, which reuse
 * them so the two cannot drift apart: id, key and name patterns, storable numbers and times, and the shapes shared
 * by several events (a run's inputs and context, a model's names, versions and approvals).
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

export const id = { type: 'string', pattern: ID_PATTERN } as const;
/**
 * Epoch milliseconds as events written since v1 may hold them (up to 9999-12-31). What a request may send is
 * narrower (metricTimestampSchema): the projector dead-letters a stored time the store cannot hold (storable.ts).
 */
export const millis = { type: 'integer', minimum: 0, maximum: 253402300799999 } as const;
export const storedName = { type: 'string', maxLength: 256 } as const;
/** Integers ClickHouse's 64-bit columns take and JSON carries exactly. */
export const count = { type: 'integer', minimum: 0, maximum: MAX_STORABLE_INTEGER } as const;
export const nullable = <T extends object>(schema: T) => ({ anyOf: [schema, { type: 'null' }] }) as const;
export const text = (maxLength: number) => ({ type: 'string', maxLength }) as const;
export const object = (
  properties: Record<string, unknown>,
  required: string[] = Object.keys(properties),
) => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});
export const empty = object({});

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

export const objectiveSchema = object({
  metric: { type: 'string', maxLength: 250, pattern: METRIC_KEY_PATTERN },
  goal: { enum: ['minimize', 'maximize'] },
});

export const stringMap = (maxLength: number) => ({
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
export const uuid = {
  type: 'string',
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
} as const;
export const principalName = text(256);
export const usedApproval = object({
  approvalId: uuid,
  requestedBy: principalName,
  approvedBy: principalName,
  comment: text(8000),
});
export const promotionTarget = {
  oneOf: [
    object({ kind: { const: 'stage' }, stage: modelStageSchema }),
    object({ kind: { const: 'alias' }, alias: aliasSchema }),
  ],
} as const;
