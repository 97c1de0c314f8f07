import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import {
  ACCESS_ROLES,
  PRINCIPAL_NAME_PATTERN,
  WORKSPACE_PATTERN,
  type AccessRole,
} from '../../../../libs/access/src';
import { ValidationError } from '../../../../libs/domain/src/errors';
import { findUnstorableValue } from '../../../../libs/events/src/storable';
import { describeError } from '../request-validator';

export interface IssueTokenBody {
  roles: AccessRole[];
  principal?: string;
  workspace?: string;
  expiresAt?: string;
  description?: string;
  actOnBehalf?: boolean;
}

export interface RevokeTokenBody {
  reason?: string;
}

const text = { type: 'string', maxLength: 500, pattern: '^[^\\u0000-\\u001f\\u007f]*$' } as const;

export const ISSUE_TOKEN_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['roles'],
  properties: {
    roles: {
      type: 'array',
      minItems: 1,
      maxItems: ACCESS_ROLES.length,
      uniqueItems: true,
      items: { enum: [...ACCESS_ROLES] },
    },
    principal: { type: 'string', pattern: PRINCIPAL_NAME_PATTERN },
    workspace: { type: 'string', pattern: WORKSPACE_PATTERN },
    expiresAt: { type: 'string', format: 'date-time' },
    description: text,
    actOnBehalf: { type: 'boolean' },
  },
} as const;

export const REVOKE_TOKEN_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: text },
} as const;

const ajv = new Ajv({ allErrors: false, strict: true });
addFormats(ajv, ['date-time']);
const issue = ajv.compile<IssueTokenBody>(ISSUE_TOKEN_SCHEMA);
const revoke = ajv.compile<RevokeTokenBody>(REVOKE_TOKEN_SCHEMA);

function checked<T>(validate: ValidateFunction<T>, body: unknown): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError('the body must be a JSON object', 'body');
  }
  if (!validate(body)) {
    const { field, message } = describeError(validate.errors![0]);
    throw new ValidationError(message, field);
  }
  // What a schema cannot say (a lone surrogate), refused before the token is looked up, as on every other route.
  const unstorable = findUnstorableValue(body, 4);
  if (unstorable) throw new ValidationError(unstorable.message, unstorable.field);
  return body;
}

/** Longest a token may live: ten years, so every expiry is a time the log and the clients can hold. */
const MAX_LIFETIME_MS = 10 * 365 * 24 * 3600_000;

export function issueTokenBody(body: unknown, now: number): IssueTokenBody {
  const valid = checked(issue, body);
  if (valid.expiresAt !== undefined) {
    const at = Date.parse(valid.expiresAt);
    if (!(at > now)) throw new ValidationError('"expiresAt" must be in the future', 'expiresAt');
    if (at - now > MAX_LIFETIME_MS)
      throw new ValidationError('"expiresAt" must be within ten years', 'expiresAt');
    return { ...valid, expiresAt: new Date(at).toISOString() };
  }
  return valid;
}

export function revokeTokenBody(body: unknown): RevokeTokenBody {
  return checked(revoke, body ?? {});
}
