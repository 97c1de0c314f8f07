import { ValidationError } from '../../../../libs/domain/src/errors';
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

/**
 * Reads an export request from its query string, or refuses it naming the parameter at fault. Runs and keys are
 * repeated parameters (`runId=a&runId=b`); a cursor must come from an export of the same runs and keys.
 */
export function parseExportRequest(query: ExportQuery): ExportRequest {
  for (const name of Object.keys(query)) {
    if (!(EXPORT_PARAMETERS as readonly string[]).includes(name))
      throw new ValidationError(`unknown parameter "${name}"; known: ${EXPORT_PARAMETERS.join(', ')}`, name);
  }
  const runIds = distinct(list(query, 'runId'));
  if (runIds.length === 0) throw new ValidationError('"runId" is required: one per run to export', 'runId');
  if (runIds.length > MAX_EXPORT_RUNS)
    throw new ValidationError(`at most ${MAX_EXPORT_RUNS} runs per export`, 'runId');
  for (const runId of runIds) {
    if (!RUN_ID.test(runId)) throw new ValidationError(`"runId" must match ${ID_PATTERN}`, 'runId');
  }
  const keys = distinct(list(query, 'key'));
  if (keys.length > MAX_EXPORT_KEYS)
    throw new ValidationError(`at most ${MAX_EXPORT_KEYS} keys per export`, 'key');
  for (const key of keys) {
    if (key.length > MAX_KEY_LENGTH || !METRIC_KEY.test(key))
      throw new ValidationError(`"key" must be a metric key (${METRIC_KEY_PATTERN}, at most 250)`, 'key');
  }
  const fromStep = integer(query, 'fromStep', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const toStep = integer(query, 'toStep', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (fromStep !== undefined && toStep !== undefined && fromStep > toStep)
    throw new ValidationError('"toStep" is before "fromStep"', 'toStep');
  const limit = integer(query, 'limit', 1, MAX_EXPORT_LIMIT) ?? DEFAULT_EXPORT_LIMIT;
  const cursor = single(query, 'cursor');
  const from = cursor === undefined ? null : decodeExportCursor(cursor);
  if (from && (!runIds.includes(from.runId) || (keys.length > 0 && !keys.includes(from.key))))
    throw new ValidationError('"cursor" belongs to an export of other runs or keys', 'cursor');
  const scope: MetricExportScope = { runIds, ...(keys.length > 0 ? { keys } : {}), fromStep, toStep };
  return { scope, from, limit };
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
