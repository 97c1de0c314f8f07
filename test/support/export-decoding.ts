import { tableFromIPC } from 'apache-arrow';
import { Session } from 'chdb';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A point as an export answer gives it back, whatever the format: the time in epoch milliseconds. */
export interface ExportedRow {
  runId: string;
  key: string;
  step: number;
  value: number;
  timestamp: number;
  /** '' for the default worker. */
  worker: string;
}

const HEADER = '"run_id","key","step","value","timestamp","worker"';

/** ClickHouse's CSV of the export: every string quoted, so a plain split serves ids and keys without commas. */
export function decodeExportCsv(text: string): ExportedRow[] {
  const lines = text.split('\n');
  if (lines[0] !== HEADER) throw new Error(`unexpected CSV header: ${lines[0]}`);
  if (lines.at(-1) !== '') throw new Error('the CSV does not end its last line');
  return lines.slice(1, -1).map((line) => {
    const [runId, key, step, value, timestamp, worker] = line.split(',');
    return {
      runId: unquote(runId),
      key: unquote(key),
      step: Number(step),
      value:
        value === 'nan' ? NaN : value === 'inf' ? Infinity : value === '-inf' ? -Infinity : Number(value),
      timestamp: Date.parse(unquote(timestamp)),
      worker: unquote(worker),
    };
  });
}

function unquote(field: string): string {
  if (!field.startsWith('"') || !field.endsWith('"')) throw new Error(`an unquoted text field: ${field}`);
  return field.slice(1, -1);
}

/** An Arrow IPC stream of the export, read by apache-arrow: steps are Int64, times UTC milliseconds. */
export function decodeExportArrow(bytes: Uint8Array): { rows: ExportedRow[]; types: string[] } {
  const table = tableFromIPC(bytes);
  const rows = table.toArray().map((row) => ({
    runId: row.run_id as string,
    key: row.key as string,
    step: Number(row.step as bigint),
    value: row.value as number,
    timestamp: Number(row.timestamp),
    worker: row.worker as string,
  }));
  return { rows, types: table.schema.fields.map((field) => `${field.name}: ${field.type}`) };
}

/** A Parquet file of the export, read back by ClickHouse itself (chDB in this process, on a folder of its own). */
export function decodeExportParquet(bytes: Uint8Array): { rows: ExportedRow[]; types: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'runlog-parquet-'));
  const session = new Session(join(dir, 'chdb'));
  try {
    const file = join(dir, 'page.parquet');
    writeFileSync(file, bytes);
    const source = `file('${file}', Parquet)`;
    const types = session
      .query(`DESCRIBE TABLE ${source}`, 'TSVRaw')
      .trim()
      .split('\n')
      .map((line) => line.split('\t').slice(0, 2).join(': '));
    const text = session.query(
      `SELECT run_id AS runId, key, toString(step) AS step, value, toString(toUnixTimestamp64Milli(timestamp)) AS ts,
              worker
       FROM ${source} SETTINGS output_format_json_quote_denormals = 1`,
      'JSONEachRow',
    );
    const rows = text
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => {
        const row = JSON.parse(line) as {
          runId: string;
          key: string;
          step: string;
          value: number | string;
          ts: string;
          worker: string;
        };
        const value =
          row.value === 'nan'
            ? NaN
            : row.value === 'inf'
              ? Infinity
              : row.value === '-inf'
                ? -Infinity
                : row.value;
        return {
          runId: row.runId,
          key: row.key,
          step: Number(row.step),
          value: Number(value),
          timestamp: Number(row.ts),
          worker: row.worker,
        };
      });
    return { rows, types };
  } finally {
    session.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where a point stands in the export's order: run, key, step, time, worker (ids, keys, workers here are ASCII). */
export function comparePositions(a: ExportedRow, b: ExportedRow): number {
  if (a.runId !== b.runId) return a.runId < b.runId ? -1 : 1;
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  const byTime = a.step - b.step || a.timestamp - b.timestamp;
  if (byTime !== 0) return byTime;
  return a.worker === b.worker ? 0 : a.worker < b.worker ? -1 : 1;
}

/** A total order, values included: points that share a position are compared as a set. */
export function sortedPoints(rows: readonly ExportedRow[]): ExportedRow[] {
  const text = (value: number) => (Number.isNaN(value) ? 'NaN' : String(value));
  const byValue = (a: ExportedRow, b: ExportedRow) =>
    text(a.value) < text(b.value) ? -1 : text(a.value) > text(b.value) ? 1 : 0;
  return [...rows].sort((a, b) => comparePositions(a, b) || byValue(a, b));
}

/** One answer of the export: its status, the headers that matter, and its body. */
export interface ExportAnswer {
  status: number;
  contentType: string | null;
  next: string | null;
  link: string | null;
  bytes: Buffer;
}

/** `GET /api/v1/metrics/export?query`. */
export async function exportPage(base: string, query: string, accept = 'text/csv'): Promise<ExportAnswer> {
  return pageOf(await fetch(`${base}/api/v1/metrics/export?${query}`, { headers: { accept } }));
}

/** `POST /api/v1/metrics/export` with `body` as JSON. */
export async function postPage(base: string, body: unknown, accept = 'text/csv'): Promise<ExportAnswer> {
  return pageOf(
    await fetch(`${base}/api/v1/metrics/export`, {
      method: 'POST',
      headers: { accept, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}

async function pageOf(response: Response): Promise<ExportAnswer> {
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    next: response.headers.get('runlog-next-cursor'),
    link: response.headers.get('link'),
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}
