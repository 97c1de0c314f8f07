import { invalid } from './mlflow-error';

const SEE_DOCS = 'See the API docs for more information about request parameters.';

/** The Python type name MLflow's messages give a JSON value. */
function pythonType(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  return 'dict';
}

function wrongType(name: string, value: unknown): never {
  throw invalid(
    `Invalid value ${JSON.stringify(value)} for parameter '${name}' supplied. Hint: Value was of type '${pythonType(value)}'. ${SEE_DOCS}`,
  );
}

const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/**
 * A request message's fields, read the way MLflow's server reads them: a GET's from the query string (every value
 * a string, repeated fields as repeated keys, bools as True/False), any other method's from the JSON body (int64 as
 * numbers or numeric strings, doubles' NaN and infinities as strings). An empty string is a missing value.
 */
export class MlflowFields {
  constructor(
    private readonly source: Record<string, unknown>,
    private readonly fromQuery: boolean,
    /** Where these fields sit in the request (`metrics[0].`), so an error names the field as MLflow does. */
    private readonly path = '',
  ) {}

  private named(name: string): string {
    return `${this.path}${name}`;
  }

  static of(request: { method: string; query: unknown; body: unknown }): MlflowFields {
    const fromQuery = request.method === 'GET';
    const source = fromQuery ? request.query : request.body;
    return new MlflowFields(
      source !== null && typeof source === 'object' && !Array.isArray(source)
        ? (source as Record<string, unknown>)
        : {},
      fromQuery,
    );
  }

  private raw(name: string): unknown {
    const value = this.source[name];
    if (this.fromQuery && Array.isArray(value)) return value[value.length - 1];
    return value === '' ? undefined : value;
  }

  has(name: string): boolean {
    return this.raw(name) !== undefined && this.raw(name) !== null;
  }

  required(name: string): string {
    const value = this.string(name);
    if (value === undefined)
      throw invalid(`Missing value for required parameter '${this.named(name)}'. ${SEE_DOCS}`);
    return value;
  }

  string(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') wrongType(this.named(name), value);
    return value;
  }

  /** The first of several names holding the value (run_id, then the deprecated run_uuid). */
  requiredOneOf(...names: string[]): string {
    for (const name of names) {
      const value = this.string(name);
      if (value !== undefined) return value;
    }
    return this.required(names[0]);
  }

  int64(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null) return undefined;
    const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isSafeInteger(number)) wrongType(this.named(name), value);
    return number;
  }

  requiredInt64(name: string): number {
    const value = this.int64(name);
    if (value === undefined)
      throw invalid(`Missing value for required parameter '${this.named(name)}'. ${SEE_DOCS}`);
    return value;
  }

  double(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null) return undefined;
    return doubleOf(this.named(name), value);
  }

  bool(name: string): boolean | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
    return wrongType(this.named(name), value);
  }

  /** A repeated string field: repeated query keys, or a JSON array. */
  strings(name: string): string[] {
    const value = this.source[name];
    if (value === undefined || value === null || value === '') return [];
    const list = Array.isArray(value) ? value : this.fromQuery ? [value] : wrongType(this.named(name), value);
    for (const item of list) if (typeof item !== 'string') wrongType(this.named(name), item);
    return list as string[];
  }

  /** A repeated message field of the body: an array of objects, each read as fields of its own. */
  messages(name: string): MlflowFields[] {
    const value = this.source[name];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) wrongType(this.named(name), value);
    return value.map((item, index) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) wrongType(this.named(name), item);
      return new MlflowFields(item as Record<string, unknown>, false, `${this.named(name)}[${index}].`);
    });
  }

  message(name: string): MlflowFields | undefined {
    const value = this.source[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) wrongType(this.named(name), value);
    return new MlflowFields(value as Record<string, unknown>, false, `${this.named(name)}.`);
  }
}

/** A double as MLflow's JSON carries it: a number, or "NaN", "Infinity", "-Infinity" (a numeric string too). */
export function doubleOf(name: string, value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value in NON_FINITE) return NON_FINITE[value];
    if (value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  }
  return wrongType(name, value);
}

/** A double written into MLflow's JSON: non-finite values as the strings its parser reads. */
export function jsonDouble(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

/** Opaque page tokens: an offset, base64 of MLflow's own `{"offset": N}`. */
export function offsetOf(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown };
    if (typeof parsed.offset === 'number' && Number.isSafeInteger(parsed.offset) && parsed.offset >= 0)
      return parsed.offset;
  } catch {
    // refused below
  }
  throw invalid(`Invalid page token ${JSON.stringify(token)}`);
}

export function offsetToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}
