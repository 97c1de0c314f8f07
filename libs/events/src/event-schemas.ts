import Ajv, { type ValidateFunction } from 'ajv';
import type { RunlogEvent, SupersededEvent } from './run.events';
import {
  aliasSchema,
  approvalPolicySchema,
  artifactPathSchema,
  count,
  empty,
  id,
  KEY_PATTERN,
  METRIC_KEY_PATTERN,
  metricStepSchema,
  metricValueSchema,
  metricWorkerSchema,
  millis,
  modelStageSchema,
  modelVersionSchema,
  nullable,
  object,
  objectiveSchema,
  principalName,
  promotionTarget,
  rawPointsMaxAgeDaysSchema,
  runContextSchema,
  runInputSchema,
  searchSpaceSchema,
  SHA256_PATTERN,
  storedName,
  stringMap,
  text,
  usedApproval,
  uuid,
} from './schema-fragments';

/**
 * The JSON schema of every event payload, per `type@v`, including superseded versions still in the log. The
 * projector checks each record against its version's schema after upcasting (a record that fails is dead-lettered,
 * never half-projected), and every decider spec checks what it decides, so a decider cannot emit a shape the schema
 * does not describe. Request schemas (services/ingest) reuse the same fragments (schema-fragments.ts), so the two
 * cannot drift apart.
 */
export {
  ID_PATTERN,
  KEY_PATTERN,
  METRIC_KEY_PATTERN,
  NAME_PATTERN,
  SHA256_PATTERN,
  NON_FINITE_VALUES,
  MAX_RETENTION_DAYS,
  rawPointsMaxAgeDaysSchema,
  experimentNameSchema,
  runNameSchema,
  metricTimestampSchema,
  metricStepSchema,
  metricValueSchema,
  METRIC_WORKER_PATTERN,
  metricWorkerSchema,
  INPUT_SCHEMA_MAX,
  INPUT_PROFILE_MAX,
  runInputSchema,
  runContextSchema,
  searchSpaceSchema,
  modelNameSchema,
  ALIAS_PATTERN,
  aliasSchema,
  modelStageSchema,
  modelVersionSchema,
  artifactPathSchema,
  approvalPolicySchema,
} from './schema-fragments';

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
