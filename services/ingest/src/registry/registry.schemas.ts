/**
 * JSON schemas of the model registry's request bodies (`/api/v1/models/...`), compiled once and served in the
 * OpenAPI document. Fragments come from the event schemas, so a request cannot carry what an event could not hold.
 */
import {
  aliasSchema,
  approvalPolicySchema,
  artifactPathSchema,
  ID_PATTERN,
  KEY_PATTERN,
  modelNameSchema,
  modelStageSchema,
  modelVersionSchema,
  SHA256_PATTERN,
} from '../../../../libs/events/src/event-schemas';
import type { ApprovalPolicy, ModelStage } from '../../../../libs/events/src/model-registry.events';

/** The registry routes' path parameters: checked by the controller, documented in the OpenAPI document. */
export const REGISTRY_PATH_PARAMETERS = {
  name: { type: 'string', minLength: 1, maxLength: 256, pattern: modelNameSchema.pattern },
  version: { type: 'string', pattern: '^[1-9][0-9]{0,9}$' },
  alias: { type: 'string', pattern: aliasSchema.pattern },
  approvalId: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' },
} as const;
export type RegistryPathParameter = keyof typeof REGISTRY_PATH_PARAMETERS;

const eventId = {
  type: 'string',
  format: 'uuid',
  description: 'Client-made UUID (v7 preferred). A retry with the same id is appended once.',
} as const;
const occurredAt = { type: 'string', format: 'date-time' } as const;
const reason = {
  type: 'string',
  minLength: 1,
  maxLength: 8000,
  description: 'Why: recorded with the promotion, for whoever audits it.',
} as const;
const comment = { type: 'string', minLength: 1, maxLength: 8000 } as const;
const description = { type: 'string', maxLength: 65536 } as const;
const tags = {
  type: 'object',
  maxProperties: 100,
  propertyNames: { pattern: KEY_PATTERN },
  additionalProperties: { type: 'string', maxLength: 8000 },
} as const;
const tagKeys = {
  type: 'array',
  minItems: 1,
  maxItems: 100,
  items: { type: 'string', pattern: KEY_PATTERN },
} as const;
const replaces = {
  anyOf: [modelVersionSchema, { type: 'null' }],
  description:
    'The version the promotion expects to hold the stage or alias now; absent or null: it must be free. ' +
    'Another holder there is a 409 promotion_conflict naming it.',
} as const;
const approvalId = { type: 'string', format: 'uuid', description: 'An approved request for this promotion.' };

const body = (properties: Record<string, unknown>, required: string[] = []) =>
  ({
    type: 'object',
    additionalProperties: false,
    required,
    properties: { eventId, occurredAt, ...properties },
  }) as const;

export const REGISTRY_SCHEMAS = {
  CreateModel: body({ name: modelNameSchema, description, tags }, ['name']),
  RenameModel: body({ name: modelNameSchema }, ['name']),
  DescribeModel: body({ description }, ['description']),
  SetModelTags: body({ tags: { ...tags, minProperties: 1 } }, ['tags']),
  DeleteModelTags: body({ keys: tagKeys }, ['keys']),
  DeleteModel: body({ reason }, ['reason']),
  SetApprovalPolicy: body({ approvalRequired: approvalPolicySchema }, ['approvalRequired']),
  RegisterModelVersion: body(
    {
      runId: { type: 'string', pattern: ID_PATTERN },
      artifactPath: artifactPathSchema,
      sha256: {
        type: 'string',
        pattern: SHA256_PATTERN,
        description: "Checked against the run's artifact at that path; its digest when absent.",
      },
      description,
    },
    ['runId', 'artifactPath'],
  ),
  SetVersionTags: body({ tags: { ...tags, minProperties: 1 } }, ['tags']),
  DeleteVersionTags: body({ keys: tagKeys }, ['keys']),
  DescribeVersion: body({ description }, ['description']),
  DeleteVersion: body({ reason }, ['reason']),
  SetAlias: body({ alias: aliasSchema, version: modelVersionSchema, replaces, reason, approvalId }, [
    'alias',
    'version',
    'reason',
  ]),
  DeleteAlias: body({ reason }, ['reason']),
  TransitionStage: body({ stage: modelStageSchema, replaces, reason, approvalId }, ['stage', 'reason']),
  RequestApproval: body(
    {
      version: modelVersionSchema,
      target: {
        oneOf: [
          {
            type: 'object',
            additionalProperties: false,
            required: ['stage'],
            properties: { stage: modelStageSchema },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['alias'],
            properties: { alias: aliasSchema },
          },
        ],
      },
      reason,
    },
    ['version', 'target', 'reason'],
  ),
  DecideApproval: body({ comment }, ['comment']),
} as const;

interface Envelope {
  eventId?: string;
  occurredAt?: string;
}
interface PromotionBody extends Envelope {
  replaces?: number | null;
  reason: string;
  approvalId?: string;
}

export interface RegistryBodies {
  CreateModel: Envelope & { name: string; description?: string; tags?: Record<string, string> };
  RenameModel: Envelope & { name: string };
  DescribeModel: Envelope & { description: string };
  SetModelTags: Envelope & { tags: Record<string, string> };
  DeleteModelTags: Envelope & { keys: string[] };
  DeleteModel: Envelope & { reason: string };
  SetApprovalPolicy: Envelope & { approvalRequired: ApprovalPolicy };
  RegisterModelVersion: Envelope & {
    runId: string;
    artifactPath: string;
    sha256?: string;
    description?: string;
  };
  SetVersionTags: Envelope & { tags: Record<string, string> };
  DeleteVersionTags: Envelope & { keys: string[] };
  DescribeVersion: Envelope & { description: string };
  DeleteVersion: Envelope & { reason: string };
  SetAlias: PromotionBody & { alias: string; version: number };
  DeleteAlias: Envelope & { reason: string };
  TransitionStage: PromotionBody & { stage: ModelStage };
  RequestApproval: Envelope & {
    version: number;
    target: { stage: ModelStage } | { alias: string };
    reason: string;
  };
  DecideApproval: Envelope & { comment: string };
}
