import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ValidationError } from '../../../libs/domain/src/errors';
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

/** The compiled validators of every request body; compiled once at start, the ingest hot path only calls them. */
export class RequestValidator {
  private readonly validators: { [K in RequestSchemaName]: ValidateFunction };

  constructor() {
    const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
    addFormats(ajv, ['uuid', 'date-time']);
    this.validators = Object.fromEntries(
      Object.entries(REQUEST_SCHEMAS).map(([name, schema]) => [name, ajv.compile(schema)]),
    ) as { [K in RequestSchemaName]: ValidateFunction };
  }

  validate<K extends RequestSchemaName>(name: K, body: unknown): RequestBodies[K] {
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new ValidationError('the body must be a JSON object (Content-Type: application/json)', 'body');
    }
    const validate = this.validators[name];
    if (!validate(body)) {
      const first = (validate.errors ?? [])[0];
      const { field, message } = first ? describeError(first) : { field: 'body', message: 'invalid body' };
      throw new ValidationError(message, field);
    }
    return body as RequestBodies[K];
  }
}
