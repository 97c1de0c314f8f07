import { BoundParams } from '../../../search/src';
import type { ClickhouseReader } from '../ports';
import type { ClickhouseStreamReader, StreamFormat } from '../stream-reader';

/*
 * The full-fidelity export of metric_points: every raw point of some runs (and keys), in the table's order with
 * the time, then the worker, as tie-breaks, a page at a time. A page is cut by keyset, never by OFFSET: planning a page finds where
 * the next one starts (the limit+1-th point), so the next page's position is known before the first byte of this
 * one is sent, and the page itself is streamed in one of ClickHouse's output formats without being held anywhere.
 */

/** The columns of an exported point, in the order every format gives them. */
export const METRIC_EXPORT_COLUMNS = ['run_id', 'key', 'step', 'value', 'timestamp', 'worker'] as const;

/** Which points: runs (at least one), keys (all when absent), steps within [fromStep, toStep]. */
export interface MetricExportScope {
  runIds: readonly string[];
  keys?: readonly string[];
  fromStep?: number;
  toStep?: number;
}

/**
 * A point's place in the export's order (run, key, step, time, worker): where a page starts. Step and time (epoch
 * milliseconds) are Int64 as decimal text, exact whatever their size. The worker ('' for the default one) comes
 * last: points of several workers at one (run, key, step, time) are distinct positions, so a page boundary between
 * them neither drops nor repeats one.
 */
export interface ExportPosition {
  runId: string;
  key: string;
  step: string;
  timestamp: string;
  worker: string;
}

/** The points of one page: from `from` (the start when null), up to `before` (the end of the export when null). */
export interface MetricExportPage {
  scope: MetricExportScope;
  from: ExportPosition | null;
  before: ExportPosition | null;
}

/** A position as read: aliases that name no column, so that no WHERE can take one for the column. */
interface PositionRow {
  runId: string;
  metricKey: string;
  stepText: string;
  epochMillis: string;
  workerLabel: string;
}

interface BoundaryRow extends PositionRow {
  points: number | string;
  /** 1 when the points read all share one position. */
  tied: number | string;
}

const asPosition = (row: PositionRow): ExportPosition => ({
  runId: row.runId,
  key: row.metricKey,
  step: row.stepText,
  timestamp: row.epochMillis,
  worker: row.workerLabel,
});

const ORDER = 'run_id, key, step, timestamp, worker';
const POSITION = '(run_id, toString(key), step, toUnixTimestamp64Milli(timestamp), toString(worker))';

/**
 * Where the page of at most `limit` points from `from` ends: at the position of the point after them, which the
 * next page starts at. Points sharing one position are never split between pages (a position names where a page
 * starts), so a page may hold fewer than `limit` points; and more only when over `limit` points share the one
 * position it starts at. Reads the position columns of limit+1 points, in the table's order.
 */
export async function planMetricExportPage(
  reader: ClickhouseReader,
  scope: MetricExportScope,
  from: ExportPosition | null,
  limit: number,
): Promise<MetricExportPage> {
  const params = new BoundParams('e');
  const where = scopeConditions(scope, params);
  if (from) where.push(positionCondition(from, '>=', params));
  const [found] = await reader.query<BoundaryRow>({
    name: 'planMetricExportPage',
    sql: `SELECT count() AS points, max(t).1 AS runId, max(t).2 AS metricKey, toString(max(t).3) AS stepText,
                 toString(max(t).4) AS epochMillis, max(t).5 AS workerLabel, min(t) = max(t) AS tied
          FROM (SELECT ${POSITION} AS t FROM ${reader.database}.metric_points
                WHERE ${where.join(' AND ')} ORDER BY ${ORDER} LIMIT ${params.bind(limit + 1, 'Int64')})`,
    params: params.values,
  });
  if (!found || Number(found.points) <= limit) return { scope, from, before: null };
  const boundary = asPosition(found);
  if (Number(found.tied) !== 1) return { scope, from, before: boundary };
  // Over `limit` points at one position: the page takes them all and ends at the next position.
  return { scope, from, before: await nextPosition(reader, scope, boundary) };
}

async function nextPosition(
  reader: ClickhouseReader,
  scope: MetricExportScope,
  after: ExportPosition,
): Promise<ExportPosition | null> {
  const params = new BoundParams('e');
  const where = [...scopeConditions(scope, params), positionCondition(after, '>', params)];
  const [next] = await reader.query<PositionRow>({
    name: 'planMetricExportPage.next',
    sql: `SELECT run_id AS runId, toString(key) AS metricKey, toString(step) AS stepText,
                 toString(toUnixTimestamp64Milli(timestamp)) AS epochMillis, toString(worker) AS workerLabel
          FROM ${reader.database}.metric_points WHERE ${where.join(' AND ')} ORDER BY ${ORDER} LIMIT 1`,
    params: params.values,
  });
  return next ? asPosition(next) : null;
}

/** Output settings every engine is given: formats any reader takes, the same on a server and on chDB. */
export const METRIC_EXPORT_SETTINGS: Record<string, string | number> = {
  // apache-arrow (JavaScript) reads no compressed IPC; LowCardinality keys as plain strings, as in the other formats.
  output_format_arrow_compression_method: 'none',
  output_format_arrow_low_cardinality_as_dictionary: 0,
  // Row groups bound what the engine holds while it writes Parquet.
  output_format_parquet_row_group_size: 65_536,
  // ISO 8601 in UTC with milliseconds in CSV; Arrow and Parquet carry the time as a UTC millisecond timestamp.
  date_time_output_format: 'iso',
};

/** The page's points in `format`, in the export's order, as ClickHouse produces them. */
export function streamMetricExportPage(
  reader: ClickhouseStreamReader,
  page: MetricExportPage,
  format: StreamFormat,
  signal?: AbortSignal,
): AsyncIterable<Uint8Array> {
  const { sql, params } = metricExportPageSql(reader.database, page);
  return reader.stream({
    name: 'streamMetricExportPage',
    sql,
    params,
    format,
    settings: METRIC_EXPORT_SETTINGS,
    signal,
  });
}

/** The page's SELECT and its bound values (snapshotted in the unit spec). */
export function metricExportPageSql(
  database: string,
  page: MetricExportPage,
): { sql: string; params: Record<string, unknown> } {
  const params = new BoundParams('e');
  const where = scopeConditions(page.scope, params);
  if (page.from) where.push(positionCondition(page.from, '>=', params));
  if (page.before) where.push(positionCondition(page.before, '<', params));
  return {
    sql: `SELECT ${METRIC_EXPORT_COLUMNS.join(', ')} FROM ${database}.metric_points
WHERE ${where.join(' AND ')}
ORDER BY ${ORDER}`,
    params: params.values,
  };
}

function scopeConditions(scope: MetricExportScope, params: BoundParams): string[] {
  const where = [`run_id IN ${params.bind(scope.runIds, 'Array(String)')}`];
  if (scope.keys !== undefined) where.push(`key IN ${params.bind(scope.keys, 'Array(String)')}`);
  if (scope.fromStep !== undefined) where.push(`step >= ${params.bind(String(scope.fromStep), 'Int64')}`);
  if (scope.toStep !== undefined) where.push(`step <= ${params.bind(String(scope.toStep), 'Int64')}`);
  return where;
}

/**
 * Points at, after or before a position, written out column by column rather than as one tuple comparison, so
 * ClickHouse narrows the read by the primary key (run_id, key, step) instead of scanning each run from its start.
 */
export function positionCondition(
  position: ExportPosition,
  comparison: '>=' | '>' | '<',
  params: BoundParams,
): string {
  const strict = comparison === '>=' ? '>' : comparison;
  const run = params.bind(position.runId, 'String');
  const key = params.bind(position.key, 'String');
  const step = params.bind(position.step, 'Int64');
  const time = `fromUnixTimestamp64Milli(${params.bind(position.timestamp, 'Int64')}, 'UTC')`;
  const worker = params.bind(position.worker, 'String');
  const sameTime = `timestamp = ${time} AND worker ${comparison} ${worker}`;
  const sameStep = `timestamp ${strict} ${time} OR (${sameTime})`;
  return `(run_id ${strict} ${run} OR (run_id = ${run} AND (key ${strict} ${key} OR (key = ${key} AND (step ${strict} ${step} OR (step = ${step} AND (${sameStep})))))))`;
}
