import { createClient, parseError, type ClickHouseClient } from '@clickhouse/client';
import { registerArrowTable, Session, type ArrowColumnInput } from 'chdb';
import { createChdbConnection } from 'chdb/connection';
import { mkdirSync } from 'node:fs';
import { chdbStreamer, type StreamedQuery } from './chdb-streams';

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

export interface ClickHouseConfig {
  /** A ClickHouse server over HTTP; when absent, the chDB engine runs in this process on `chdbPath`. */
  url?: string;
  username?: string;
  password?: string;
  chdbPath: string;
  database: string;
}

export interface ClickHouse {
  client: ClickHouseClient;
  database: string;
  engine: 'chdb' | 'server';
  /** A server's credentials, which the store's dictionaries connect back with (migration 008). */
  username?: string;
  password?: string;
  /** Closes the client, and on chDB the session arrow inserts use (one data directory per process). */
  close(): Promise<void>;
  /**
   * chDB only: an INSERT whose body is handed to the engine as bytes, parsed by its multithreaded parser. Through
   * the client, chdb/connection first concatenates statement and body into one SQL string (measured: 260–280k
   * rows/s against 310–370k for this path on metric_points). Errors are thrown as the client's ClickHouseError.
   */
  rawInsert?: (insert: RawInsert) => Promise<void>;
  /**
   * chDB only: an INSERT … SELECT over columns handed to the engine as typed arrays (Arrow C Data Interface, no
   * text at all): measured 580–710k metric points/s against 310–370k for rawInsert's TSV on this machine.
   */
  arrowInsert?: (insert: ArrowInsert) => Promise<void>;
  /**
   * chDB only: a read streamed chunk by chunk as it is consumed (the client's query on chDB holds the whole answer
   * first). A server streams through the client itself.
   */
  streamQuery?: (query: StreamedQuery) => AsyncIterable<Uint8Array>;
  /**
   * A server only: the client streamed reads (exports) go through, with a socket pool of its own, so that a slow
   * export reader, which holds its socket for as long as it reads, never leaves the reads waiting for one.
   */
  streamClient?: ClickHouseClient;
}

/** Sockets of the stream client: as many exports as read at once (RUNLOG_EXPORT_MAX_CONCURRENT caps them). */
const STREAM_CLIENT_SOCKETS = 16;

export type ArrowColumn = ArrowColumnInput;

export interface ArrowInsert {
  /** Column sets by name; each is read once, through the table function `sql` is given for it. */
  tables: Record<string, readonly ArrowColumn[]>;
  /**
   * The statement over `arrowstream('…')` table functions, one per entry of `tables`. No bound parameters: chDB
   * runs parameterised queries one at a time process-wide, so a bound insert would hold every read behind it.
   */
  sql: (sources: Record<string, string>) => string;
}

export interface RawInsert {
  /** `database.table`. */
  table: string;
  columns: readonly string[];
  format: 'TabSeparated';
  body: string | Uint8Array;
  settings: Record<string, string>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function createClickHouse(config: ClickHouseConfig): ClickHouse {
  // Table names cannot be bound parameters in DDL, so the database name is checked once here instead.
  if (!IDENTIFIER.test(config.database))
    throw new Error(`invalid ClickHouse database name: ${config.database}`);
  if (config.url) {
    const options = {
      url: config.url,
      username: config.username,
      password: config.password,
      clickhouse_settings: {
        date_time_input_format: 'best_effort',
        // chDB writes 64-bit integers as JSON numbers and a server quotes them by default; the queries expect numbers.
        output_format_json_quote_64bit_integers: 0,
      },
    } as const;
    const client = createClient(options);
    const streamClient = createClient({ ...options, max_open_connections: STREAM_CLIENT_SOCKETS });
    return {
      client,
      streamClient,
      database: config.database,
      engine: 'server',
      username: config.username,
      password: config.password,
      close: async () => {
        await Promise.all([client.close(), streamClient.close()]);
      },
    };
  }
  mkdirSync(config.chdbPath, { recursive: true });
  // chdb types its Connection against @clickhouse/client-common, which @clickhouse/client now bundles as its own
  // copy: the same interface under two declarations, hence the cast.
  const chdbConnection = createChdbConnection({ path: config.chdbPath });
  const client = createClient({ connection: chdbConnection as unknown as ClientConnection });
  const rawInsert = async ({ table, columns, format, body, settings }: RawInsert): Promise<void> => {
    try {
      await chdbConnection.chdb.rawInsert({ table, columns, format, values: body, settings });
    } catch (error) {
      // chDB's typed errors carry the engine's `Code: N. DB::Exception: … (NAME)` text; parsed the way
      // chdb/connection parses it, so callers see one error shape (code, type) whichever path inserted.
      throw Object.assign(parseError(error instanceof Error ? error.message : String(error)), {
        cause: error,
      });
    }
  };
  const arrows = arrowInserter(config.chdbPath);
  const streams = chdbStreamer(config.chdbPath);
  const close = async () => {
    await client.close();
    arrows.close();
    streams.close();
  };
  return {
    client,
    database: config.database,
    engine: 'chdb',
    close,
    rawInsert,
    arrowInsert: arrows.insert,
    streamQuery: streams.stream,
  };
}

/**
 * Arrow inserts go through a Session of their own on the same directory (chDB lets same-path sessions share the
 * one engine; the client's session is private to chdb/connection). registerArrowTable reads the native handle
 * from `session._handle` while Session keeps it in `connection` (chdb 3.4.0), hence the adapter object.
 */
function arrowInserter(chdbPath: string) {
  let session: Session | null = null;
  let sequence = 0;
  const close = () => {
    session?.close();
    session = null;
  };
  const insert = async ({ tables, sql }: ArrowInsert): Promise<void> => {
    session ??= new Session(chdbPath);
    const handle = { _handle: session.connection } as never;
    const insert = (sequence += 1);
    const sources: Record<string, string> = {};
    const registered = [];
    try {
      for (const [alias, columns] of Object.entries(tables)) {
        const name = `runlog_${process.pid}_${insert}_${alias}`;
        registered.push(registerArrowTable(name, columns, { session: handle }));
        sources[alias] = `arrowstream('${name}')`;
      }
      await session.queryAsync(sql(sources));
    } catch (error) {
      throw Object.assign(parseError(error instanceof Error ? error.message : String(error)), {
        cause: error,
      });
    } finally {
      for (const table of registered) table.close();
    }
  };
  return { insert, close };
}

export const CLICKHOUSE = Symbol('CLICKHOUSE');

/**
 * Reads give up after this long so a stuck call surfaces as an error (and the projector retries its batch) instead
 * of stalling forever. Inserts get no such bound: a write abandoned client-side may still land, and the projector's
 * watermarks must be read after it has.
 */
export const READ_TIMEOUT_MS = 30_000;

export function readTimeout(): AbortSignal {
  return AbortSignal.timeout(READ_TIMEOUT_MS);
}
