/**
 * What a value must be for the projection to store it: the one place the ingest API's request checks and the
 * projector's row builders take their ranges and forms from, so nothing is accepted that cannot be stored.
 *
 * - Times: ClickHouse's DateTime64 held [1900-01-01, 2299-12-31] until 26.7 and silently clamped outside it (26.7
 *   widened it to years 0000-9999, ClickHouse/ClickHouse#107907); the range below holds on every version we run.
 *   A time must also be one JavaScript can read: ajv's `date-time` accepts a leap second (`23:59:60`), which
 *   `Date.parse` turns into NaN.
 * - UUIDs: ajv's `uuid` also accepts `urn:uuid:…` and upper case, ClickHouse's UUID parser neither the prefix nor
 *   braces. An id is normalized (prefix stripped, lower case) before it is used, compared or stored.
 * - Strings and object keys: well-formed UTF-16. A lone surrogate has no UTF-8 form; written to a String column it
 *   would become U+FFFD, and `encodeURI` throws on it.
 * - Numbers: finite (JSON's `1e400` parses to Infinity); integers within what JSON carries exactly and Int64 holds.
 * - Nesting: at most MAX_JSON_DEPTH levels, checked without recursion before anything recursive sees the body.
 */

export const MIN_STORABLE_MILLIS = Date.UTC(1900, 0, 1);
export const MAX_STORABLE_MILLIS = Date.UTC(2299, 11, 31, 23, 59, 59, 999);
export const MIN_STORABLE_TIME = new Date(MIN_STORABLE_MILLIS).toISOString();
export const MAX_STORABLE_TIME = new Date(MAX_STORABLE_MILLIS).toISOString();
/** Int64 columns (steps) hold more, but JSON numbers above 2^53 are no longer exact. */
export const MAX_STORABLE_INTEGER = Number.MAX_SAFE_INTEGER;
/**
 * Containers nested in a request body, the body itself counting as 1. The deepest shape the API describes is a run
 * context's `context.hardware.gpus[0]` (4); a sweep's search space holds a few levels per param. 32 leaves room.
 */
export const MAX_JSON_DEPTH = 32;

/** A value already in the log that no rule can store (written by an older version): the record is dead-lettered. */
export class UnstorableValueError extends Error {
  readonly code = 'unstorable_value';

  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`"${field}" cannot be stored: ${reason}`);
    this.name = 'UnstorableValueError';
  }
}

export function isStorableMillis(ms: number): boolean {
  return Number.isInteger(ms) && ms >= MIN_STORABLE_MILLIS && ms <= MAX_STORABLE_MILLIS;
}

/** Why epoch milliseconds cannot be stored, or null when they can. */
export function unstorableMillisReason(ms: number): string | null {
  if (!Number.isInteger(ms)) return 'it is not a whole number of milliseconds';
  if (ms < MIN_STORABLE_MILLIS || ms > MAX_STORABLE_MILLIS)
    return `it is outside ${MIN_STORABLE_TIME} … ${MAX_STORABLE_TIME}`;
  return null;
}

/** Epoch milliseconds of a date-time string, or a reason it has none the store can hold. */
export function parseStorableTime(iso: string): { millis: number } | { reason: string } {
  const millis = Date.parse(iso);
  if (Number.isNaN(millis)) return { reason: 'it is not a time JavaScript can read (a leap second is not)' };
  const reason = unstorableMillisReason(millis);
  return reason === null ? { millis } : { reason };
}

/** Epoch milliseconds of a stored date-time, for row builders: throws UnstorableValueError naming `field`. */
export function storableTime(iso: string, field: string): number {
  const parsed = parseStorableTime(iso);
  if ('reason' in parsed) throw new UnstorableValueError(field, parsed.reason);
  return parsed.millis;
}

/** Index of the first value that is not storable epoch milliseconds, or -1; a plain loop for metric batches. */
export function firstUnstorableMillis(values: readonly number[]): number {
  for (let i = 0; i < values.length; i++) {
    const ms = values[i];
    if (!(ms >= MIN_STORABLE_MILLIS && ms <= MAX_STORABLE_MILLIS) || !Number.isInteger(ms)) return i;
  }
  return -1;
}

/** Every spelling ajv's `uuid` format accepts. */
const UUID_FORMS = /^(?:urn:uuid:)?([0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12})$/i;

/** The canonical form (lower case, no `urn:uuid:`) of a UUID in any form ajv accepts, or null. */
export function canonicalUuid(value: string): string | null {
  const match = UUID_FORMS.exec(value);
  return match ? match[1].toLowerCase() : null;
}

/** The canonical form of a stored id, for row builders: throws UnstorableValueError naming `field`. */
export function storableUuid(value: string, field: string): string {
  const canonical = canonicalUuid(value);
  if (canonical === null) throw new UnstorableValueError(field, 'it is not a UUID');
  return canonical;
}

const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Index of the first lone UTF-16 surrogate, or -1 when the string has a UTF-8 form. */
export function loneSurrogateIndex(value: string): number {
  // Most strings hold no surrogate at all: the cheap test first.
  if (!SURROGATE.test(value)) return -1;
  const match = LONE_SURROGATE.exec(value);
  return match ? match.index : -1;
}

/** A string as stored, for row builders: throws UnstorableValueError naming `field` on a lone surrogate. */
export function storableString(value: string, field: string): string {
  const index = loneSurrogateIndex(value);
  if (index >= 0) throw new UnstorableValueError(field, `a lone UTF-16 surrogate at index ${index}`);
  return value;
}

export interface UnstorableFinding {
  /** As a client writes it: `searchSpace.lr.values[2]`; `body` for the body itself. */
  field: string;
  message: string;
}

interface Visit {
  value: unknown;
  key: string | number | null;
  parent: Visit | null;
  depth: number;
}

function pathOf(visit: Visit): string {
  const keys: (string | number)[] = [];
  for (let at: Visit | null = visit; at !== null && at.key !== null; at = at.parent) keys.push(at.key);
  let path = '';
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i];
    path = typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
  }
  return path || 'body';
}

/** Why a leaf (or a key) cannot be stored, or null; containers are the walker's. */
function leafFinding(visit: Visit): UnstorableFinding | null {
  const { value, key } = visit;
  const keyIndex = typeof key === 'string' ? loneSurrogateIndex(key) : -1;
  if (keyIndex >= 0) {
    const field = pathOf(visit);
    return { field, message: `the key "${field}" holds a lone UTF-16 surrogate at index ${keyIndex}` };
  }
  if (typeof value === 'string') {
    const index = loneSurrogateIndex(value);
    if (index >= 0) {
      const field = pathOf(visit);
      return { field, message: `"${field}" holds a lone UTF-16 surrogate at index ${index}` };
    }
  } else if (typeof value === 'number' && !Number.isFinite(value)) {
    const field = pathOf(visit);
    return { field, message: `"${field}" is a number out of range (not finite)` };
  }
  return null;
}

const isContainer = (value: unknown): value is object => value !== null && typeof value === 'object';

/**
 * A value of a parsed JSON body that no column could store, or null: a container nested deeper than `maxDepth`, a
 * number that is not finite, a string or object key with a lone surrogate. Iterative, so a body nested a million
 * levels costs a loop, not the stack; it runs before the schemas, which recurse. A container's own leaves are looked at
 * before what is nested in it, so with several faults the one reported is not always the first in the text.
 */
export function findUnstorableValue(body: unknown, maxDepth = MAX_JSON_DEPTH): UnstorableFinding | null {
  const root: Visit = { value: body, key: null, parent: null, depth: 1 };
  if (!isContainer(body)) return leafFinding(root);
  const stack: Visit[] = [root];
  while (stack.length > 0) {
    const visit = stack.pop() as Visit;
    if (visit.depth > maxDepth) {
      const field = pathOf(visit);
      return { field, message: `"${field}" is nested deeper than ${maxDepth} levels` };
    }
    const nested: Visit[] = [];
    const inspect = (key: string | number, value: unknown): UnstorableFinding | null => {
      const child: Visit = { value, key, parent: visit, depth: visit.depth + 1 };
      const finding = leafFinding(child);
      if (finding === null && isContainer(value)) nested.push(child);
      return finding;
    };
    const container = visit.value;
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        const item: unknown = container[i];
        // Finite numbers, the bulk of a metric batch, are passed without building a visit.
        if (typeof item === 'number' && Number.isFinite(item)) continue;
        const finding = inspect(i, item);
        if (finding) return finding;
      }
    } else {
      const keys = Object.keys(container as object);
      for (let i = 0; i < keys.length; i++) {
        const finding = inspect(keys[i], (container as Record<string, unknown>)[keys[i]]);
        if (finding) return finding;
      }
    }
    // Reversed onto the stack, so the first nested container is walked next.
    for (let i = nested.length - 1; i >= 0; i--) stack.push(nested[i]);
  }
  return null;
}
