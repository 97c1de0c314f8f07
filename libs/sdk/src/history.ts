import { csvRecords, utf8Pieces } from './csv-records';
import { RunlogRequestError } from './request-error';
import { retryDelayMs, sleep } from './retry-after';

/** One logged point as the store keeps it: NaN and ±Infinity as such, the time in epoch milliseconds. */
export interface HistoryPoint {
  key: string;
  step: number;
  value: number;
  timestamp: number;
  /** The worker of a distributed job that logged it; '' for the default worker (every point logged without one). */
  worker: string;
}

export interface ExportedPoint extends HistoryPoint {
  runId: string;
}

export interface HistoryOptions {
  fromStep?: number;
  toStep?: number;
  /** Points per request (the server's default when absent: 100,000; at most 1,000,000). */
  pageSize?: number;
}

export interface MetricExportRequest extends HistoryOptions {
  runIds: readonly string[];
  /** Every key when absent. */
  keys?: readonly string[];
}

/** How the client reads: the server that serves reads, its fetch, and the caller's headers. */
export interface ReadAccess {
  baseUrl: string;
  fetch: typeof fetch;
  headers: Record<string, string>;
}

/** Per page; a page that fails after its first byte is not retried (its points would come twice). */
const ATTEMPTS = 5;
const RETRY_BASE_DELAY_MS = 200;
const NEXT_CURSOR_HEADER = 'runlog-next-cursor';
const COLUMNS = ['run_id', 'key', 'step', 'value', 'timestamp'] as const;
/** A server from before points had a worker answers without the column: every point is the default worker's. */
const WORKER_COLUMN = 'worker';
const EXPORT_PATH = '/api/v1/metrics/export';

/**
 * Every raw point of the runs and keys asked, in (run, key, step, time, worker) order, through the export API
 * (`POST /api/v1/metrics/export` with a JSON body, which holds 1,000 run ids where a URL would not; CSV): a page at
 * a time, each page's cursor leading to the next, parsed as it arrives, so memory holds a record, not a page.
 * Stops when the consumer stops.
 */
export async function* exportMetricPoints(
  access: ReadAccess,
  request: MetricExportRequest,
): AsyncGenerator<ExportedPoint> {
  let cursor: string | null = null;
  do {
    const response = await fetchPage(access, pageBody(request, cursor));
    cursor = response.headers.get(NEXT_CURSOR_HEADER);
    if (!response.body) throw new Error('the export answered without a body');
    let columns: number[] | null = null;
    for await (const record of csvRecords(utf8Pieces(response.body))) {
      if (columns === null) {
        columns = COLUMNS.map((name) => record.indexOf(name));
        if (columns.includes(-1)) throw new Error(`the export's header lacks a column: ${record.join(',')}`);
        columns.push(record.indexOf(WORKER_COLUMN));
        continue;
      }
      yield toPoint(record, columns);
    }
  } while (cursor !== null);
}

/** One run's points of `keys` (every key when absent), without the run id. */
export async function* runHistory(
  access: ReadAccess,
  runId: string,
  keys: readonly string[] | undefined,
  options: HistoryOptions = {},
): AsyncGenerator<HistoryPoint> {
  for await (const point of exportMetricPoints(access, { ...options, runIds: [runId], keys })) {
    yield {
      key: point.key,
      step: point.step,
      value: point.value,
      timestamp: point.timestamp,
      worker: point.worker,
    };
  }
}

/** Columns of a history, per key in the order met: for plotting, or what a DataFrame is built from. */
export interface HistoryColumns {
  steps: number[];
  values: number[];
  timestamps: number[];
  /** Each point's worker ('' for the default one): a run of several workers has a point per worker per step. */
  workers: string[];
}

/** Gathers a history into columns per key (a Map: any metric key is a safe name there). */
export async function collectHistory(
  points: AsyncIterable<HistoryPoint>,
): Promise<Map<string, HistoryColumns>> {
  const byKey = new Map<string, HistoryColumns>();
  for await (const point of points) {
    let columns = byKey.get(point.key);
    if (!columns) byKey.set(point.key, (columns = { steps: [], values: [], timestamps: [], workers: [] }));
    columns.steps.push(point.step);
    columns.values.push(point.value);
    columns.timestamps.push(point.timestamp);
    columns.workers.push(point.worker);
  }
  return byKey;
}

/** A page's request: the JSON body of POST /api/v1/metrics/export. */
function pageBody(request: MetricExportRequest, cursor: string | null): string {
  return JSON.stringify({
    runIds: request.runIds,
    ...(request.keys !== undefined ? { keys: request.keys } : {}),
    ...(request.fromStep !== undefined ? { fromStep: request.fromStep } : {}),
    ...(request.toStep !== undefined ? { toStep: request.toStep } : {}),
    ...(request.pageSize !== undefined ? { limit: request.pageSize } : {}),
    ...(cursor !== null ? { cursor } : {}),
  });
}

/** A page's answer; network errors, 408, 429 and 5xx are retried with backoff, at least the `Retry-After` asked. */
async function fetchPage(access: ReadAccess, body: string): Promise<Response> {
  for (let attempt = 1; ; attempt += 1) {
    let response: Response | null = null;
    let retryAfter: string | null = null;
    try {
      response = await access.fetch(`${access.baseUrl}${EXPORT_PATH}`, {
        method: 'POST',
        headers: { ...access.headers, accept: 'text/csv', 'content-type': 'application/json' },
        body,
      });
    } catch (error) {
      if (attempt >= ATTEMPTS) throw error;
    }
    if (response?.ok) return response;
    if (response) {
      retryAfter = response.headers.get('retry-after');
      const text = await response.text();
      const retriable = response.status === 408 || response.status === 429 || response.status >= 500;
      if (!retriable || attempt >= ATTEMPTS) throw new RunlogRequestError(response.status, text, EXPORT_PATH);
    }
    await sleep(retryDelayMs(RETRY_BASE_DELAY_MS * 2 ** (attempt - 1), retryAfter));
  }
}

function toPoint(record: string[], columns: number[]): ExportedPoint {
  const [runId, key, step, value, timestamp, worker] = columns.map((column) => record[column]);
  return {
    runId,
    key,
    step: Number(step),
    value: metricValue(value),
    timestamp: Date.parse(timestamp),
    worker: worker ?? '',
  };
}

/** ClickHouse writes NaN as `nan` (or `-nan`) and the infinities as `inf` and `-inf`. */
export function metricValue(text: string): number {
  const lower = text.toLowerCase();
  if (lower.endsWith('nan')) return NaN;
  if (lower === 'inf' || lower === '+inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  return Number(text);
}
