import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ValidationError } from '../../../libs/domain/src/errors';
import {
  canonicalUuid,
  findUnstorableValue,
  MAX_JSON_DEPTH,
  parseStorableTime,
} from '../../../libs/events/src/storable';
import { REQUEST_SCHEMAS, type RequestBodies, type RequestSchemaName } from './ingest.schemas';

/** `/metrics/0/values/3` → `metrics[0].values[3]`: the field as a client would write it. */
export function fieldPath(instancePath: string, child?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (child !== undefined) parts.push(child);
  return parts.reduce(
    (path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part),
    '',
  );
}

export function describeError(error: ErrorObject): { field: string; message: string } {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = fieldPath(error.instancePath, String(params.additionalProperty));
      return { field, message: `unknown field "${field}"` };
    }
    case 'required': {
      const field = fieldPath(error.instancePath, String(params.missingProperty));
      return { field, message: `missing required field "${field}"` };
    }
    case 'propertyNames': {
      const field = fieldPath(error.instancePath, String(params.propertyName));
      return {
        field,
        message: `invalid key "${String(params.propertyName)}" in "${fieldPath(error.instancePath)}"`,
      };
    }
    default: {
      const field = fieldPath(error.instancePath) || 'body';
      return { field, message: `"${field}" ${error.message ?? 'is invalid'}` };
    }
  }
}

/**
 * What the JSON schemas cannot say, from libs/events/src/storable.ts: an occurredAt that JavaScript can read and
 * ClickHouse can hold, and the eventId in its one canonical spelling (so every id that defaults to it is canonical).
 */
function settleEnvelope<T>(body: T & { eventId?: string; occurredAt?: string }): T {
  if (body.occurredAt !== undefined) {
    const parsed = parseStorableTime(body.occurredAt);
    if ('reason' in parsed)
      throw new ValidationError(`"occurredAt" is refused: ${parsed.reason}`, 'occurredAt');
  }
  if (body.eventId === undefined) return body;
  const eventId = canonicalUuid(body.eventId);
  if (eventId === null) throw new ValidationError('"eventId" must match format "uuid"', 'eventId');
  return eventId === body.eventId ? body : { ...body, eventId };
}

/**
 * The compiled validators of a set of request bodies; compiled once at start, the ingest hot path only calls them.
 * Before them, one iterative walk refuses what no schema keyword can (and what would overflow their recursion):
 * nesting deeper than MAX_JSON_DEPTH, numbers that are not finite, lone surrogates in strings and keys.
 */
export class SchemaValidator<Bodies extends object> {
  private readonly validators = new Map<keyof Bodies, ValidateFunction>();

  constructor(schemas: { [K in keyof Bodies]: object }) {
    const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
    addFormats(ajv, ['uuid', 'date-time']);
    for (const name of Object.keys(schemas) as (keyof Bodies)[]) {
      this.validators.set(name, ajv.compile(schemas[name]));
    }
  }

  validate<K extends keyof Bodies>(name: K, body: unknown): Bodies[K] {
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new ValidationError('the body must be a JSON object (Content-Type: application/json)', 'body');
    }
    const unstorable = findUnstorableValue(body, MAX_JSON_DEPTH);
    if (unstorable) throw new ValidationError(unstorable.message, unstorable.field);
    const validate = this.validators.get(name)!;
    if (!validate(body)) {
      const first = (validate.errors ?? [])[0];
      const { field, message } = first ? describeError(first) : { field: 'body', message: 'invalid body' };
      throw new ValidationError(message, field);
    }
    return settleEnvelope(body as Bodies[K] & { eventId?: string; occurredAt?: string });
  }
}

/** The native ingest API's bodies (ingest.schemas.ts). */
export class RequestValidator extends SchemaValidator<{ [K in RequestSchemaName]: RequestBodies[K] }> {
  constructor() {
    super(REQUEST_SCHEMAS);
  }
}
