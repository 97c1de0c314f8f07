import { Session } from 'chdb';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGunzip } from 'node:zlib';
import { sqlString } from '../ports';

/**
 * The ClickHouse HTTP interface, the part `@clickhouse/client` speaks, served by the chDB engine: one process owns
 * a chDB data directory and any number of processes (projectors, gateways) share it over HTTP, as they would share
 * a clickhouse-server. This machine has no way to get a current clickhouse-server (Debian ships 18.16 from 2018,
 * and there is no Docker engine), and chDB is the same ClickHouse engine, so the distributed topology runs on it.
 *
 * Served: `GET /ping`, and `POST /` with the query in the body, or in `?query=` followed by the body as inline
 * data (how inserts arrive), `param_<name>` bound parameters and settings as URL parameters. Not served:
 * authentication (it listens on 127.0.0.1 only), sessions, progress headers, response compression, and the
 * native TCP protocol.
 */
export interface ChdbHttpServerOptions {
  /** chDB data directory; created if missing. */
  path: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface ChdbHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** URL parameters of the HTTP interface that are not settings. */
const PROTOCOL_PARAMS = new Set([
  'query',
  'query_id',
  'database',
  'session_id',
  'session_timeout',
  'session_check',
  'user',
  'password',
  'default_format',
  'enable_http_compression',
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'http_response_buffer_size',
]);
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLACEHOLDER = /\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^}]+)\}/g;
const STRING_TYPE = /^(LowCardinality\(\s*)?(Nullable\(\s*)?(String|FixedString\(\d+\))/;
const ERROR_CODE = /^Code: (\d+)\./;
/**
 * `INSERT INTO db.table (a, b) FORMAT TabSeparated`, the statement @clickhouse/client sends before TSV rows, or
 * `… FORMAT ArrowStream` before an Arrow IPC stream.
 */
const BODY_INSERT =
  /^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*\)\s*FORMAT\s+(TabSeparated|TSV|ArrowStream)\s*$/i;

export async function startChdbHttpServer(options: ChdbHttpServerOptions): Promise<ChdbHttpServer> {
  mkdirSync(options.path, { recursive: true });
  const session = new Session(options.path);
  const spool = openSpool();
  // A ClickHouse server takes URIs of up to 1 MiB (http_max_uri_size), bound parameters included: an export of
  // 1,000 runs binds ~45 KB of ids, past the 16 KiB Node takes by default.
  const server = createServer({ maxHeaderSize: 1024 * 1024 }, (request, response) => {
    handle(session, spool, request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, error);
      else response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  // Inserts of a projector batch can take seconds; Node's default 5 s keep-alive would race the client's reuse.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  await listen(server, options.host ?? '127.0.0.1', options.port ?? 8123);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      session.close();
      spool.close();
    },
  };
}

async function handle(session: Session, spool: Spool, request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (url.pathname === '/ping' || (url.pathname === '/' && request.method === 'GET' && !url.search)) {
    response.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Ok.\n');
    return;
  }
  if (url.pathname !== '/' || (request.method !== 'POST' && request.method !== 'GET')) {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Not found.\n');
    return;
  }
  const bodyBytes = await readBody(request);
  const queryParam = url.searchParams.get('query');
  const bodyInsert = queryParam === null || bodyBytes.length === 0 ? null : BODY_INSERT.exec(queryParam);
  if (bodyInsert) {
    await insertBody(session, bodyInsert, bodyBytes, url.searchParams, spool);
    response
      .writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Timezone': 'UTC' })
      .end();
    return;
  }
  const body = bodyBytes.toString('utf8');
  // An insert names its target in ?query= and sends the rows as the body; ClickHouse reads them as inline data.
  const sql = queryParam === null ? body : body.length > 0 ? `${queryParam}\n${body}` : queryParam;
  if (sql.trim().length === 0) throw new Error('Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)');

  const settings: string[] = [];
  const bound: Record<string, string> = {};
  let format: string | undefined;
  for (const [name, value] of url.searchParams) {
    if (name.startsWith('param_')) bound[name.slice('param_'.length)] = value;
    else if (name === 'default_format') format = value;
    else if (!PROTOCOL_PARAMS.has(name)) {
      if (!SETTING_NAME.test(name))
        throw new Error(`Code: 115. DB::Exception: Unknown setting ${name}. (UNKNOWN_SETTING)`);
      settings.push(`SET ${name} = '${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`);
    }
  }
  const nulls = bindNulls(sql, bound);
  const statement = settings.length > 0 ? `${settings.join('; ')}; ${nulls.sql}` : nulls.sql;
  const queryId = url.searchParams.get('query_id') ?? randomUUID();
  const started = process.hrtime.bigint();
  const result =
    Object.keys(nulls.params).length > 0
      ? await session.queryBindAsync(statement, unescapeStringParams(nulls.sql, nulls.params), { format })
      : await session.queryAsync(statement, { format });
  const elapsedNs = process.hrtime.bigint() - started;
  const bytes = Buffer.from(result.bytes());
  response.writeHead(200, {
    'Content-Type': 'text/plain; charset=UTF-8',
    'Content-Length': bytes.length,
    'X-ClickHouse-Query-Id': queryId,
    'X-ClickHouse-Timezone': 'UTC',
    'X-ClickHouse-Summary': JSON.stringify({
      read_rows: String(result.rowsRead ?? 0),
      read_bytes: String(result.bytesRead ?? 0),
      written_rows: '0',
      written_bytes: '0',
      total_rows_to_read: '0',
      result_rows: '0',
      result_bytes: String(bytes.length),
      elapsed_ns: String(elapsedNs),
    }),
  });
  response.end(bytes);
}

/**
 * Over HTTP a String parameter arrives in ClickHouse's escaped text form (`\t`, `\\`, `\'`…), which the server
 * unescapes; chDB's bind takes values literally, so String-typed placeholders are unescaped here. Other types
 * (numbers, arrays, dates) are parsed from the text by chDB as the server would.
 */
export function unescapeStringParams(sql: string, params: Record<string, string>): Record<string, string> {
  const stringParams = new Set<string>();
  for (const match of sql.matchAll(PLACEHOLDER)) {
    if (STRING_TYPE.test(match[2].trim())) stringParams.add(match[1]);
  }
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    result[name] = stringParams.has(name) ? unescapeText(value) : value;
  }
  return result;
}

/**
 * Over HTTP a NULL parameter arrives as `\\N` (a text `\\N` as `\\\\N`), which chDB's bind would take as text: each
 * Nullable placeholder given NULL is written into the statement as a typed NULL, and its parameter dropped.
 */
export function bindNulls(
  sql: string,
  params: Record<string, string>,
): { sql: string; params: Record<string, string> } {
  const nulls = new Set<string>();
  const rewritten = sql.replace(PLACEHOLDER, (placeholder, name: string, type: string) => {
    if (!type.trim().startsWith('Nullable(') || params[name] !== '\\N') return placeholder;
    nulls.add(name);
    return `CAST(NULL AS ${type.trim()})`;
  });
  return {
    sql: rewritten,
    params: Object.fromEntries(Object.entries(params).filter(([name]) => !nulls.has(name))),
  };
}

const ESCAPES: Record<string, string> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  '0': '\0',
  a: '\x07',
  v: '\v',
};

function unescapeText(value: string): string {
  return value.replace(/\\(.)/gs, (_, char: string) => ESCAPES[char] ?? char);
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const source = request.headers['content-encoding'] === 'gzip' ? request.pipe(createGunzip()) : request;
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * An insert whose rows are the body goes to the engine without becoming SQL text, as a ClickHouse server parses
 * an HTTP body: TabSeparated through chDB's raw insert (its parallel parser; measured in process 310–370k rows/s
 * against 260–280k for one SQL string with the rows inline), an Arrow stream (binary, which the raw insert does
 * not take) spooled to a file the engine reads with file(…, 'ArrowStream'). Settings from the URL go with it.
 */
async function insertBody(
  session: Session,
  insert: RegExpExecArray,
  body: Buffer,
  params: URLSearchParams,
  spool: Spool,
) {
  const settings: Record<string, string> = {};
  for (const [name, value] of params) {
    if (name.startsWith('param_') || PROTOCOL_PARAMS.has(name)) continue;
    if (!SETTING_NAME.test(name))
      throw new Error(`Code: 115. DB::Exception: Unknown setting ${name}. (UNKNOWN_SETTING)`);
    settings[name] = value;
  }
  const [, table, columnList, format] = insert;
  const columns = columnList.split(',').map((column) => column.trim());
  try {
    if (format.toLowerCase() === 'arrowstream') {
      await spool.with(body, (path) => {
        const settingsClause = Object.entries(settings)
          .map(([name, value]) => `${name} = ${sqlString(value)}`)
          .join(', ');
        return session.queryAsync(
          `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM file(${sqlString(path)}, 'ArrowStream')` +
            (settingsClause ? ` SETTINGS ${settingsClause}` : ''),
        );
      });
      return;
    }
    await session.insert({ table, columns, format: 'TabSeparated', values: body, settings });
  } catch (error) {
    // Answered as the server words it ("Code: N. DB::Exception: …"): callers tell data errors by that code, the
    // engine's own first (the message may echo row text holding "Code: " of its own).
    const message = error instanceof Error ? error.message : String(error);
    const engineCode = (error as { clickhouseCode?: number }).clickhouseCode;
    const from = message.indexOf('Code: ');
    const text =
      engineCode !== undefined
        ? `Code: ${engineCode}. DB::Exception: ${message}`
        : from >= 0
          ? message.slice(from)
          : `Code: 1001. DB::Exception: ${message}`;
    throw new Error(text, { cause: error });
  }
}

/** A private folder for binary bodies on their way into the engine; each file lives for one insert. */
interface Spool {
  with<T>(body: Buffer, use: (path: string) => Promise<T>): Promise<T>;
  close(): void;
}

function openSpool(): Spool {
  const folder = mkdtempSync(join(tmpdir(), 'runlog-chdb-http-'));
  let sequence = 0;
  return {
    async with(body, use) {
      const path = join(folder, `insert-${(sequence += 1)}.arrows`);
      await writeFile(path, body);
      try {
        return await use(path);
      } finally {
        await rm(path, { force: true });
      }
    },
    close() {
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

function sendError(response: ServerResponse, error: unknown) {
  const message = error instanceof Error ? error.message : String(error);
  const code = ERROR_CODE.exec(message)?.[1] ?? '1001';
  // The client turns a non-200 answer's body into its error, parsing "Code: N. DB::Exception: …" as the server
  // writes it.
  const text = ERROR_CODE.test(message) ? message : `Code: ${code}. DB::Exception: ${message}`;
  response
    .writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': code })
    .end(`${text}\n`);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
