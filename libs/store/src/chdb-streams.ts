import { parseError } from '@clickhouse/client';
import { Session } from 'chdb';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spliceChunks, type StreamFormat } from './format-splice';
import { sqlString } from './ports';
import { abortReason, sessionPool } from './session-pool';

/** A read whose answer is streamed in `format`: `sql` is one SELECT, without FORMAT or SETTINGS. */
export interface StreamedQuery {
  sql: string;
  params: Record<string, unknown>;
  format: StreamFormat;
  settings: Record<string, string | number>;
  /** Ends the stream between chunks (the reader went away). */
  signal?: AbortSignal;
}

/** Streams at once; another waits for a session to come free. Each holds one chunk (~25k rows) at a time. */
const STREAM_SESSIONS = 4;
/** Streams that may wait for a session; one more is refused (StreamReadersBusyError, a 503 at the edge). */
const STREAM_WAITERS = 16;

export interface ChdbStreamLimits {
  sessions: number;
  maxWaiting: number;
}

export interface ChdbStreamer {
  stream(query: StreamedQuery): AsyncIterable<Uint8Array>;
  close(): void;
}

/**
 * Streamed reads on chDB. chdb/connection, behind @clickhouse/client, materializes a whole answer before it hands
 * out a stream, so these go through chDB's own streaming query on sessions of their own (same-path sessions share
 * the one engine; a session holds one stream at a time). Rows are fetched chunk by chunk as the consumer pulls, so
 * memory holds a chunk, not the answer; chunks are spliced into one answer (format-splice.ts). Parquet is written
 * by the engine to a spool file (row group by row group) and streamed from there: chDB's Parquet chunks are whole
 * files, which no reader would take concatenated.
 */
export function chdbStreamer(
  chdbPath: string,
  limits: ChdbStreamLimits = { sessions: STREAM_SESSIONS, maxWaiting: STREAM_WAITERS },
): ChdbStreamer {
  const sessions = sessionPool({
    open: () => new Session(chdbPath),
    close: (session) => session.close(),
    size: limits.sessions,
    maxWaiting: limits.maxWaiting,
  });
  let spoolDir: string | null = null;
  let spooled = 0;
  const spoolPath = () => {
    spoolDir ??= mkdtempSync(join(tmpdir(), 'runlog-chdb-export-'));
    return join(spoolDir, `page-${process.pid}-${(spooled += 1)}.parquet`);
  };

  async function* stream(query: StreamedQuery): AsyncGenerator<Uint8Array> {
    // A reader that left while it waited gets no session: no query runs, and no Parquet page is spooled for it.
    const session = await sessions.acquire(query.signal);
    try {
      if (query.signal?.aborted) throw abortReason(query.signal);
      if (query.format === 'Parquet') yield* viaSpool(session, query, spoolPath());
      else yield* spliced(session, query, query.format);
    } catch (error) {
      throw asClickHouseError(error);
    } finally {
      sessions.release(session);
    }
  }
  return {
    stream,
    close() {
      sessions.close();
      if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}

async function* spliced(
  session: Session,
  query: StreamedQuery,
  format: Exclude<StreamFormat, 'Parquet'>,
): AsyncGenerator<Uint8Array> {
  const statement = withSettings(query.sql, query.settings);
  const splicer = spliceChunks(format);
  let chunks = 0;
  for await (const chunk of session.queryStreamBind(statement, query.params, {
    format,
    signal: query.signal,
  })) {
    chunks += 1;
    const bytes = splicer.push(chunk.raw());
    if (bytes.length > 0) yield bytes;
  }
  if (chunks === 0) {
    // No row, no chunk: the empty answer (a CSV header, an Arrow schema) comes from the one-shot query.
    const empty = await session.queryBindAsync(statement, query.params, { format });
    yield empty.bytes();
    return;
  }
  const end = splicer.end();
  if (end.length > 0) yield end;
}

async function* viaSpool(session: Session, query: StreamedQuery, path: string): AsyncGenerator<Uint8Array> {
  const statement = withSettings(`INSERT INTO FUNCTION file(${sqlString(path)}, 'Parquet') ${query.sql}`, {
    ...query.settings,
    engine_file_truncate_on_insert: 1,
  });
  try {
    // Not abortable: an aborted one-shot query goes on in the engine, and the session would be handed out busy.
    await session.queryBindAsync(statement, query.params);
    // The reader left while the engine wrote the page: nothing is read back for it.
    if (query.signal?.aborted) throw abortReason(query.signal);
    for await (const chunk of createReadStream(path, { signal: query.signal })) yield chunk as Buffer;
  } finally {
    await rm(path, { force: true });
  }
}

/** SETTINGS for the statement itself: a streamed query takes no settings of its own. Values are the code's. */
function withSettings(sql: string, settings: Record<string, string | number>): string {
  const entries = Object.entries(settings);
  if (entries.length === 0) return sql;
  const clause = entries
    .map(([name, value]) => `${name} = ${typeof value === 'number' ? value : sqlString(value)}`)
    .join(', ');
  return `${sql}\nSETTINGS ${clause}`;
}

/** chDB's typed errors as the client's ClickHouseError (code, type), as the rest of the store throws them. */
function asClickHouseError(error: unknown): unknown {
  if (error instanceof Error && error.name === 'AbortError') return error;
  const message = error instanceof Error ? error.message : String(error);
  if (!message.includes('DB::Exception')) return error;
  return Object.assign(parseError(message), { cause: error });
}
