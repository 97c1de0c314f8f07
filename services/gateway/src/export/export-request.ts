import { DomainError, ValidationError } from '../../../../libs/domain/src/errors';
import { ID_PATTERN, METRIC_KEY_PATTERN } from '../../../../libs/events/src/event-schemas';
import type { ExportPosition, MetricExportScope } from '../../../../libs/store/src';
import { decodeExportCursor } from './export-cursor';

/** `GET /api/v1/metrics/export` takes these query parameters and no others. */
export const EXPORT_PARAMETERS = ['runId', 'key', 'fromStep', 'toStep', 'limit', 'cursor'] as const;
export const MAX_EXPORT_RUNS = 1_000;
export const MAX_EXPORT_KEYS = 1_000;
export const DEFAULT_EXPORT_LIMIT = 100_000;
export const MAX_EXPORT_LIMIT = 1_000_000;
const MAX_KEY_LENGTH = 250;
const RUN_ID = new RegExp(ID_PATTERN);
const METRIC_KEY = new RegExp(METRIC_KEY_PATTERN);
const INTEGER = /^-?\d{1,16}$/;

/** One page of an export, as asked: which points, where the page starts, and how many it holds at most. */
export interface ExportRequest {
  scope: MetricExportScope;
  from: ExportPosition | null;
  limit: number;
}

/** The query string's parameters: one given twice is an array. */
export type ExportQuery = Record<string, unknown>;

/**
 * The parameters of a request URL, all of them: Express's parser (node:querystring) keeps the first 1,000 and
 * drops the rest without a word, which would turn 1,001 runs into an export of 1,000.
 */
export function exportQueryOf(url: string): ExportQuery {
  const at = url.indexOf('?');
  const query: Record<string, string | string[]> = {};
  if (at < 0) return query;
  for (const [name, value] of new URLSearchParams(url.slice(at + 1))) {
    const seen = query[name];
    if (seen === undefined) query[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else query[name] = [seen, value];
  }
  return query;
}

/** An export request's fields, read from a query string or a JSON body, before they are checked. */
interface AskedFields {
  runIds: string[];
  keys: string[];
  fromStep?: number;
  toStep?: number;
  limit?: number;
  cursor?: string;
}

/** What the request calls its runs and keys: `runId`/`key` (repeated query parameters) or `runIds`/`keys`. */
interface FieldNames {
  runIds: string;
  keys: string;
}

/**
 * Reads an export request from its query string, or refuses it naming the parameter at fault. Runs and keys are
 * repeated parameters (`runId=a&runId=b`); a cursor must come from an export of the same runs and keys.
 */
export function parseExportRequest(query: ExportQuery): ExportRequest {
  for (const name of Object.keys(query)) {
    if (!(EXPORT_PARAMETERS as readonly string[]).includes(name))
      throw new ValidationError(`unknown parameter "${name}"; known: ${EXPORT_PARAMETERS.join(', ')}`, name);
  }
  const asked: AskedFields = {
    runIds: list(query, 'runId'),
    keys: list(query, 'key'),
    fromStep: integer(query, 'fromStep', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    toStep: integer(query, 'toStep', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    limit: integer(query, 'limit', 1, MAX_EXPORT_LIMIT),
    cursor: single(query, 'cursor'),
  };
  return checkedRequest(asked, { runIds: 'runId', keys: 'key' });
}

/** `POST /api/v1/metrics/export` takes a JSON object of these fields and no others. */
export const EXPORT_BODY_FIELDS = ['runIds', 'keys', 'fromStep', 'toStep', 'limit', 'cursor'] as const;

/**
 * Bounds a POST body: 1,000 run ids of 64 characters and 1,000 keys of 250, quoted and comma-separated, with room
 * for a cursor and the numbers. Checked on the declared length and on the body as read.
 */
export const MAX_EXPORT_BODY_BYTES = 512 * 1024;

/** A POST body past MAX_EXPORT_BODY_BYTES: 413, naming the body. */
export class ExportBodyTooLargeError extends DomainError {
  readonly code = 'payload_too_large';
}

/**
 * Reads an export request from a JSON body (`{runIds, keys?, fromStep?, toStep?, limit?, cursor?}`), the same
 * checks as the query string's, refusals naming the body's field. For exports of more runs than a URL can name:
 * 1,000 ids of a UUID's length is ~43 KB of query, past the 16 KiB Node takes for a request line and headers.
 */
export function parseExportBody(body: unknown): ExportRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ValidationError('the body must be a JSON object: {"runIds": […], …}', 'body');
  const fields = body as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!(EXPORT_BODY_FIELDS as readonly string[]).includes(name))
      throw new ValidationError(`unknown field "${name}"; known: ${EXPORT_BODY_FIELDS.join(', ')}`, name);
  }
  const cursor = fields.cursor;
  if (cursor !== undefined && typeof cursor !== 'string')
    throw new ValidationError('"cursor" must be the text of a Runlog-Next-Cursor', 'cursor');
  const asked: AskedFields = {
    runIds: texts(fields, 'runIds'),
    keys: texts(fields, 'keys'),
    fromStep: wholeNumber(fields, 'fromStep', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    toStep: wholeNumber(fields, 'toStep', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    limit: wholeNumber(fields, 'limit', 1, MAX_EXPORT_LIMIT),
    cursor,
  };
  return checkedRequest(asked, { runIds: 'runIds', keys: 'keys' });
}

function checkedRequest(asked: AskedFields, names: FieldNames): ExportRequest {
  const runIds = distinct(asked.runIds);
  if (runIds.length === 0)
    throw new ValidationError(`"${names.runIds}" is required: one per run to export`, names.runIds);
  if (runIds.length > MAX_EXPORT_RUNS)
    throw new ValidationError(`at most ${MAX_EXPORT_RUNS} runs per export`, names.runIds);
  for (const runId of runIds) {
    if (!RUN_ID.test(runId))
      throw new ValidationError(`"${names.runIds}" must match ${ID_PATTERN}`, names.runIds);
  }
  const keys = distinct(asked.keys);
  if (keys.length > MAX_EXPORT_KEYS)
    throw new ValidationError(`at most ${MAX_EXPORT_KEYS} keys per export`, names.keys);
  for (const key of keys) {
    if (key.length > MAX_KEY_LENGTH || !METRIC_KEY.test(key))
      throw new ValidationError(
        `"${names.keys}" must be metric keys (${METRIC_KEY_PATTERN}, at most 250)`,
        names.keys,
      );
  }
  const { fromStep, toStep } = asked;
  if (fromStep !== undefined && toStep !== undefined && fromStep > toStep)
    throw new ValidationError('"toStep" is before "fromStep"', 'toStep');
  const from = asked.cursor === undefined ? null : decodeExportCursor(asked.cursor);
  if (from && (!runIds.includes(from.runId) || (keys.length > 0 && !keys.includes(from.key))))
    throw new ValidationError('"cursor" belongs to an export of other runs or keys', 'cursor');
  const scope: MetricExportScope = { runIds, ...(keys.length > 0 ? { keys } : {}), fromStep, toStep };
  return { scope, from, limit: asked.limit ?? DEFAULT_EXPORT_LIMIT };
}

function texts(fields: Record<string, unknown>, name: string): string[] {
  const value = fields[name];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string'))
    throw new ValidationError(`"${name}" must be an array of strings`, name);
  return value;
}

function wholeNumber(
  fields: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
    throw new ValidationError(`"${name}" must be a whole number from ${min} to ${max}`, name);
  return value;
}

function list(query: ExportQuery, name: string): string[] {
  const value = query[name];
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  if (!values.every((item): item is string => typeof item === 'string'))
    throw new ValidationError(`"${name}" must be repeated as ${name}=…, one value each`, name);
  return values;
}

function single(query: ExportQuery, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ValidationError(`"${name}" may be given once`, name);
  return value;
}

function integer(query: ExportQuery, name: string, min: number, max: number): number | undefined {
  const text = single(query, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!INTEGER.test(text) || value < min || value > max)
    throw new ValidationError(`"${name}" must be a whole number from ${min} to ${max}`, name);
  return value;
}

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}
