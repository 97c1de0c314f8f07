import { createHash } from 'node:crypto';
import type { BadInputCase } from './bad-input-case';
import { bodyWith, caseMaker, escapeRegExp, fieldName, validRequest } from './case-building';
import type { DocumentedOperation, JsonSchema } from './operations';
import { validBody } from './targets';

/** Fields a client might try to set (OWASP API3, mass assignment): unknown to every request schema. */
const MASS_ASSIGNMENT: [string, string][] = [
  ['isAdmin', 'true'],
  ['workspace', '"another-workspace"'],
  ['__proto__', '{"isAdmin":true}'],
];

/**
 * Event ids that are no UUID form at all, around a UUID of the route's own (derived from its key, so case names are
 * stable). `urn:uuid:<uuid>` and upper case are UUID forms: the server normalizes them to the canonical one (see
 * test/integration/write-ordering.int.spec.ts), so they are not refusals.
 */
function nonCanonicalEventIds(operationKey: string): string[] {
  const hex = createHash('sha256').update(operationKey).digest('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return ['abc', `urn:uuid:${uuid}x`, `{${uuid}}`, uuid.replace(/-/g, ''), `${uuid}' OR '1'='1`];
}

/** Dates an ISO parser takes and ClickHouse's DateTime64 cannot hold, or holds as another instant. */
const OCCURRED_AT = [
  '2016-12-31T23:59:60Z',
  '1899-12-31T23:59:59Z',
  '2300-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
];

/** Metric timestamps (epoch ms) outside what the points' column stores; the schema's own maximum among them. */
const TIMESTAMPS = [253402300799999, 10413792000000, 99999999999999];

/** Injection and traversal strings (OWASP API8): used only where the field's pattern refuses them. */
const INJECTIONS = [
  "x' OR '1'='1",
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '${jndi:ldap://169.254.169.254/a}',
  'a\u0000b',
  'a;rm -rf /',
  'ｆｕｌｌ\u202ewidth',
];

const refuses = (pattern: string, value: string) => !new RegExp(pattern, 'u').test(value);

type Path = (string | number)[];

/** Every string with a pattern or a length limit, one level into arrays of the valid body. */
function stringFields(schema: JsonSchema, body: Record<string, unknown>): [Path, JsonSchema][] {
  const fields: [Path, JsonSchema][] = [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (property.format) continue;
    if (property.type === 'string') fields.push([[name], property]);
    if (property.type === 'array' && Array.isArray(body[name])) {
      const items = property.items ?? {};
      if (items.type === 'string') fields.push([[name, 0], items]);
      for (const [sub, subSchema] of Object.entries(items.properties ?? {})) {
        const first = (body[name] as Record<string, unknown>[])[0];
        if (subSchema.type === 'string' && first && sub in first) fields.push([[name, 0, sub], subSchema]);
      }
    }
  }
  return fields;
}

/** Objects keyed by the client (params, tags, searchSpace): their key patterns and sizes. */
function keyedObjects(schema: JsonSchema): [string, JsonSchema][] {
  return Object.entries(schema.properties ?? {}).filter(([, property]) => property.propertyNames?.pattern);
}

/** Cases derived from the request schema of the served document: each field's own ways to be wrong. */
export function fieldCases(operation: DocumentedOperation): BadInputCase[] {
  const { schemaName, schema } = operation;
  if (!schemaName || !schema?.properties) return [];
  const make = caseMaker(operation);
  const body = validBody(schemaName);
  const request = (text: string) => validRequest(operation, { text });
  const cases: BadInputCase[] = [];

  for (const [name, raw] of MASS_ASSIGNMENT) {
    if (name in schema.properties) continue;
    // Spliced into the text: `__proto__` cannot be set as an own property of an object literal's copy.
    const valid = JSON.stringify(body);
    const text = `{${JSON.stringify(name)}:${raw}${valid === '{}' ? '' : ','}${valid.slice(1)}`;
    cases.push(make('unknownField', `unknown field ${name}`, request(text), name));
  }
  if ('eventId' in schema.properties) {
    for (const eventId of nonCanonicalEventIds(operation.key)) {
      cases.push(
        make(
          'eventIdNotCanonical',
          `eventId ${JSON.stringify(eventId)}`,
          request(bodyWith(schemaName, ['eventId'], eventId)),
        ),
      );
    }
  }
  if ('occurredAt' in schema.properties) {
    for (const occurredAt of OCCURRED_AT) {
      cases.push(
        make(
          'occurredAtUnstorable',
          `occurredAt ${occurredAt}`,
          request(bodyWith(schemaName, ['occurredAt'], occurredAt)),
        ),
      );
    }
  }
  for (const [path, field] of stringFields(schema, body)) {
    const name = fieldName(path);
    cases.push(
      make(
        'loneSurrogate',
        `a lone surrogate in ${name}`,
        request(bodyWith(schemaName, path, 'ab\ud800')),
        name,
      ),
    );
    if (field.maxLength !== undefined) {
      const value = 'x'.repeat(field.maxLength + 1);
      cases.push(
        make(
          'oversized',
          `${name} of ${field.maxLength + 1} characters`,
          request(bodyWith(schemaName, path, value)),
          name,
        ),
      );
    }
    if (field.pattern) {
      for (const injection of INJECTIONS.filter((value) => refuses(field.pattern ?? '', value))) {
        cases.push(
          make(
            'invalidValue',
            `${name} ${JSON.stringify(injection)}`,
            request(bodyWith(schemaName, path, injection)),
            name,
          ),
        );
      }
    }
  }
  for (const [name, property] of keyedObjects(schema)) {
    const value = Object.values(body[name] as Record<string, unknown>)[0];
    const keyed = (key: string) => request(JSON.stringify({ ...body, [name]: { [key]: value } }));
    // The object or the key in it: both name where the bad key is.
    const keyField = new RegExp(`^${escapeRegExp(name)}(\\.|$)`);
    cases.push(make('loneSurrogate', `a lone surrogate in a key of ${name}`, keyed('k\udc00'), keyField));
    for (const injection of INJECTIONS.filter((key) => refuses(property.propertyNames?.pattern ?? '', key))) {
      cases.push(
        make('invalidValue', `key ${JSON.stringify(injection)} in ${name}`, keyed(injection), keyField),
      );
    }
    if (property.maxProperties !== undefined) {
      const many = Object.fromEntries(
        Array.from({ length: property.maxProperties + 1 }, (_, i) => [`k${i}`, value]),
      );
      cases.push(
        make(
          'oversized',
          `${name} with ${property.maxProperties + 1} keys`,
          request(JSON.stringify({ ...body, [name]: many })),
          name,
        ),
      );
    }
  }
  for (const [name, property] of Object.entries(schema.properties)) {
    if (property.type !== 'array' || property.maxItems === undefined || !Array.isArray(body[name])) continue;
    const items = Array.from({ length: property.maxItems + 1 }, () => (body[name] as unknown[])[0]);
    cases.push(
      make(
        'oversized',
        `${name} with ${property.maxItems + 1} items`,
        request(JSON.stringify({ ...body, [name]: items })),
        name,
      ),
    );
  }
  if (schemaName === 'LogMetrics') {
    for (const timestamp of TIMESTAMPS) {
      const path = ['metrics', 0, 'timestamps', 1];
      cases.push(
        make(
          'timestampUnstorable',
          `timestamp ${timestamp}`,
          request(bodyWith(schemaName, path, timestamp)),
          fieldName(path),
        ),
      );
    }
  }
  return cases;
}
